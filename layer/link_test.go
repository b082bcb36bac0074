package layer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/minimage/minimage/internal/durable"
	"github.com/minimage/minimage/internal/testenv"
)

func TestLink(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux names unnamed files")
	}
	dir := t.TempDir()
	b := New(Options{SpillDir: dir, SpillThreshold: -1})
	b.AddFile("/d", randomData(1<<20, 7), Attr{})
	l := build(t, b)
	want := readAll(t, l.Compressed)

	name := filepath.Join(dir, "blob")
	if err := l.Link(name); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(name)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("linked file: %d bytes, %v; want the layer's %d bytes", len(got), err, len(want))
	}
	// The file is the layer's own, not a copy: a second name and the
	// first are one file.
	again := filepath.Join(dir, "again")
	if err := l.Share().Link(again); err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(name)
	st2, _ := os.Stat(again)
	if !os.SameFile(st1, st2) {
		t.Error("two links of one layer are different files")
	}
	if st1.Mode().Perm()&0o600 != 0o600 {
		t.Errorf("linked file mode %v; want at least owner read and write", st1.Mode())
	}

	// An existing name is left alone.
	if err := l.Link(name); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Link over an existing file: %v, want fs.ErrExist", err)
	}
	// The layer reads on when its names are gone.
	os.Remove(name)
	os.Remove(again)
	if got := readAll(t, l.Compressed); !bytes.Equal(got, want) {
		t.Error("the layer's bytes changed after its links were removed")
	}
	l.Release()
	if err := l.Link(name); !errors.Is(err, ErrReleased) {
		t.Errorf("Link after Release: %v, want ErrReleased", err)
	}
	if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed Link left %s: %v", name, err)
	}
}

func TestLinkUnsupported(t *testing.T) {
	dir := t.TempDir()
	mem := New(Options{})
	mem.AddFile("/d", []byte("small"), Attr{})
	inMemory := build(t, mem)
	blob := readAll(t, inMemory.Compressed)
	fromBlob, err := FromBlob(inMemory.Descriptor(), inMemory.DiffID(), func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*Layer{"memory": inMemory, "FromBlob": fromBlob} {
		p := filepath.Join(dir, name)
		if err := l.Link(p); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: Link: %v, want errors.ErrUnsupported", name, err)
		}
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a failed Link left a file: %v", name, err)
		}
	}
}

// TestLinkAfterWriteback builds a blob that spills past several
// durable.Chunks into a chosen SpillDir, where it is synced while it is
// written, and checks that neither the bytes nor the digests change
// from a build that holds the blob in memory, and that the linked file is
// the blob.
func TestLinkAfterWriteback(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux names unnamed files")
	}
	data := randomData(2*durable.Chunk+durable.Chunk/2+123, 11)
	layers := map[string]*Layer{}
	for name, o := range map[string]Options{
		"memory":   {SpillThreshold: 1 << 30},
		"spilldir": {SpillThreshold: -1, SpillDir: t.TempDir(), SpillWriteback: true},
		"tempdir":  {SpillThreshold: -1},
	} {
		o.Compression = Uncompressed
		b := New(o)
		b.AddFile("/d", data, Attr{})
		layers[name] = build(t, b)
	}
	want := layers["memory"]
	wantBytes := readAll(t, want.Compressed)
	for _, name := range []string{"spilldir", "tempdir"} {
		l := layers[name]
		if l.Digest() != want.Digest() || l.DiffID() != want.DiffID() || l.Size() != want.Size() {
			t.Errorf("%s: digest %s, diffID %s, size %d; want %s, %s, %d as in memory",
				name, l.Digest(), l.DiffID(), l.Size(), want.Digest(), want.DiffID(), want.Size())
		}
		if got := readAll(t, l.Compressed); !bytes.Equal(got, wantBytes) {
			t.Errorf("%s: the blob differs from the one held in memory", name)
		}
	}
	name := filepath.Join(t.TempDir(), "blob")
	if err := layers["spilldir"].Link(name); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(name)
	if err != nil || !bytes.Equal(got, wantBytes) {
		t.Fatalf("linked file: %d bytes, %v; want the layer's %d bytes", len(got), err, len(wantBytes))
	}
}

// TestSpillWriteback checks that only a spill with SpillWriteback set
// goes to the disk while it is written: a spilled blob dropped without it
// never reaches the disk, which the kernel counts in the process's
// cancelled_write_bytes (/proc/self/io: dirty bytes of files deleted
// before their writeback); with it, most of the blob has gone to the disk
// by then. A spill into os.TempDir, never written back, shows whether the
// file system counts (tmpfs does not; the test is skipped there).
func TestSpillWriteback(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	data := randomData(3*durable.Chunk+durable.Chunk/4, 12)
	size := int64(len(data))
	cancelled := func(o Options) int64 {
		before := testenv.ProcIO(t, "cancelled_write_bytes")
		o.Compression, o.SpillThreshold = Uncompressed, -1
		b := New(o)
		b.AddFile("/d", data, Attr{})
		l := build(t, b)
		l.Release()
		return testenv.ProcIO(t, "cancelled_write_bytes") - before
	}
	// t.TempDir is in os.TempDir, on the same file system.
	if n := cancelled(Options{}); n < size/2 {
		t.Skipf("dropping a %d-byte spill in %s cancelled %d bytes of writeback: this file system does not count it", size, os.TempDir(), n)
	}
	if n := cancelled(Options{SpillDir: t.TempDir()}); n < size/2 {
		t.Errorf("without SpillWriteback, dropping a %d-byte spill cancelled %d bytes: its bytes went to the disk for nothing", size, n)
	}
	if n := cancelled(Options{SpillDir: t.TempDir(), SpillWriteback: true}); n > size/2 {
		t.Errorf("with SpillWriteback, dropping a %d-byte spill cancelled %d bytes: its writeback did not start as it was written", size, n)
	}
}
