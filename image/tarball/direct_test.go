package tarball_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/fixture"
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
	img := fixture.Image(t, amd64).Append(spilled, inMemory)

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
	bad := fixture.Failing(t, good)
	err = tarball.WriteFile(context.Background(), p, img.Append(bad), tarball.Options{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("failing layer: %v", err)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(after, got) {
		t.Error("a failed write changed the file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in the directory after a failed write, want only app.tar", len(ents))
	}
}

// TestWriteFileCopiesInKernel checks that WriteFile hands a spilled layer
// to the kernel (copy_file_range) rather than copying it through memory
// in 32 KiB writes, by the number of write system calls the process made
// (syscw in /proc/self/io, which copy_file_range also counts, once per
// call). Linux only.
func TestWriteFileCopiesInKernel(t *testing.T) {
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("no /proc/self/io:", err)
	}
	dir := t.TempDir()
	data := make([]byte, 24<<20)
	rand.Read(data)
	b := layer.New(layer.Options{SpillThreshold: -1, SpillDir: dir, Format: layer.Format{Compression: layer.Uncompressed}})
	b.AddFile("/data", data, layer.Attr{})
	l, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	img := fixture.Image(t, amd64).Append(l)
	before := writeCalls(t)
	if err := tarball.WriteFile(context.Background(), filepath.Join(dir, "app.tar"), img, tarball.Options{}); err != nil {
		t.Fatal(err)
	}
	// Through memory, 24 MiB take 768 writes of 32 KiB; in the kernel, 3
	// calls of 8 MiB, and a few writes for the rest of the tarball.
	if n := writeCalls(t) - before; n > 100 {
		t.Errorf("WriteFile made %d write calls for a 24 MiB layer; want the kernel to copy it (a few calls)", n)
	}
}

// writeCalls returns the write system calls the process has made.
func writeCalls(t *testing.T) int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no syscw in /proc/self/io:\n%s", data)
	return 0
}
