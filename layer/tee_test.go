package layer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/opencontainers/go-digest"
)

// countingWriter fails once it has taken limit bytes (never with limit < 0).
type countingWriter struct {
	buf   bytes.Buffer
	calls int
	limit int
}

var errFull = errors.New("full")

func (w *countingWriter) Write(p []byte) (int, error) {
	w.calls++
	if w.limit >= 0 && w.buf.Len()+len(p) > w.limit {
		return 0, errFull
	}
	return w.buf.Write(p)
}

func TestTee(t *testing.T) {
	ctx := context.Background()
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	for _, c := range []Compression{Gzip, Zstd, Uncompressed} {
		t.Run(c.String(), func(t *testing.T) {
			tee := &countingWriter{limit: -1}
			o := Options{Format: Format{Compression: c, BlockSize: 0}, Tee: tee}
			b := New(o)
			if err := b.AddFile("data", content, Attr{}); err != nil {
				t.Fatal(err)
			}
			l, err := b.Build(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := l.Compressed(ctx)
			if err != nil {
				t.Fatal(err)
			}
			blob, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tee.buf.Bytes(), blob) {
				t.Errorf("Tee got %d bytes, the blob is %d: want the same bytes", tee.buf.Len(), len(blob))
			}
			if got := digest.FromBytes(tee.buf.Bytes()); got != l.Digest() {
				t.Errorf("Tee's bytes hash to %s, the layer's digest is %s", got, l.Digest())
			}
			// Without Tee, the same bytes.
			b2 := New(Options{Format: o.Format})
			b2.AddFile("data", content, Attr{})
			l2, err := b2.Build(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if l2.Digest() != l.Digest() {
				t.Errorf("digest with Tee %s, without %s", l.Digest(), l2.Digest())
			}
		})
	}
	t.Run("error fails the build", func(t *testing.T) {
		b := New(Options{Format: Format{Compression: Uncompressed}, Tee: &countingWriter{limit: 1 << 20}})
		b.AddFile("data", content, Attr{})
		if _, err := b.Build(ctx); !errors.Is(err, errFull) {
			t.Errorf("Build with a failing Tee: %v, want its error", err)
		}
	})
}
