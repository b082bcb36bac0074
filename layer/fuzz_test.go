package layer

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
)

// FuzzCleanPath checks the path rules: an accepted path is relative, clean,
// holds no "..", "." or empty component, and cleans to itself.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/app", "a/b/../c", "../x", "/", "", "a\x00", "./a//b/", "a/../../b", "...", "/..", strings.Repeat("a/", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p, err := cleanPath(name)
		if err != nil {
			return
		}
		if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "\x00") {
			t.Fatalf("cleanPath(%q) = %q", name, p)
		}
		for _, c := range strings.Split(p, "/") {
			if c == "" || c == "." || c == ".." {
				t.Fatalf("cleanPath(%q) = %q has component %q", name, p, c)
			}
		}
		if again, err := cleanPath(p); err != nil || again != p {
			t.Fatalf("cleanPath not idempotent: %q -> %q -> %q, %v", name, p, again, err)
		}
	})
}

// FuzzTar feeds arbitrary bytes to AddTar and FromTar: they may refuse the
// stream but never panic, and what they accept builds a readable layer.
func FuzzTar(f *testing.F) {
	var seed bytes.Buffer
	tw := newTestTar(&seed)
	tw.file("a/b", "hello")
	tw.file("c", strings.Repeat("x", 1000))
	tw.close()
	f.Add(seed.Bytes())
	var evil bytes.Buffer
	tw = newTestTar(&evil)
	tw.file("../../etc/passwd", "root")
	tw.close()
	f.Add(evil.Bytes())
	f.Add([]byte{})
	f.Add(make([]byte, 1024))
	// Sparse files claiming a TiB: AddTar refuses them, FromTar keeps them
	// without expanding.
	f.Add(sparseTar("0.1", 1<<40))
	f.Add(sparseTar("1.0", 1<<40))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		b := New(Options{Format: Format{Compression: Uncompressed}, Replace: true})
		if err := b.AddTar(ctx, bytes.NewReader(data)); err == nil {
			if l, err := b.Build(ctx); err == nil {
				testenv.ReadTar(t, bytes.NewReader(readAll(t, l.Compressed)))
			}
		}
		if l, err := FromTar(ctx, bytes.NewReader(data), Options{Format: Format{Compression: Uncompressed}}); err == nil {
			if got := readAll(t, l.Compressed); !bytes.Equal(got, data) {
				t.Fatalf("FromTar changed the bytes: %d in, %d out", len(data), len(got))
			}
		}
	})
}
