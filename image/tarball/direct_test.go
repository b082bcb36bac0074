package tarball_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
)

// TestWriteFileLargeLayers writes layers large enough to go to the file
// directly, past the buffer: one spilled to a file (copied by the kernel
// where it can), one in memory, and one read from elsewhere that fails
// half way. The file holds exactly Write's bytes, and a failure leaves
// nothing.
func TestWriteFileLargeLayers(t *testing.T) {
	dir := t.TempDir()
	random := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	build := func(o layer.Options, data []byte) *layer.Layer {
		b := layer.New(o)
		b.AddFile("/data", data, layer.Attr{})
		l, err := b.Build(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	spilled := build(layer.Options{SpillThreshold: -1, SpillDir: dir}, random(3<<20+5))
	inMemory := build(layer.Options{SpillThreshold: 64 << 20}, random(2<<20+7))
	img := imagetest.Fixture(t, amd64).Append(spilled, inMemory)

	p := filepath.Join(dir, "app.tar")
	if err := tarball.WriteFile(context.Background(), p, img, tarball.Options{Tags: []string{"app:v1"}}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := tarBytes(t, img, "app:v1"); !bytes.Equal(got, want) {
		t.Fatalf("WriteFile wrote %d bytes that differ from Write's %d", len(got), len(want))
	}
	// The same straight into an *os.File, opened for appending too (where
	// the kernel will not copy).
	for name, flag := range map[string]int{"file": os.O_WRONLY | os.O_CREATE | os.O_TRUNC, "appending": os.O_WRONLY | os.O_CREATE | os.O_APPEND} {
		f, err := os.OpenFile(filepath.Join(dir, name+".tar"), flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if err := tarball.Write(context.Background(), f, img, tarball.Options{Tags: []string{"app:v1"}}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if b, _ := os.ReadFile(f.Name()); !bytes.Equal(b, got) {
			t.Errorf("Write to an *os.File (%s) wrote %d bytes that differ from WriteFile's", name, len(b))
		}
		os.Remove(f.Name())
	}

	tb, err := tarball.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tb.Verify(context.Background()); err != nil {
		t.Fatalf("verify after %d blobs: %v", n, err)
	}

	// A large layer that fails half way.
	good := build(layer.Options{SpillThreshold: -1, SpillDir: dir}, random(2<<20))
	bad := imagetest.Failing(t, good)
	err = tarball.WriteFile(context.Background(), p, img.Append(bad), tarball.Options{})
	if err == nil || !errors.Is(err, imagetest.ErrFailing) {
		t.Fatalf("failing layer: %v", err)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(after, got) {
		t.Error("a failed write changed the file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in the directory after a failed write, want only app.tar", len(ents))
	}
}
