//go:build linux

package tarball_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	"golang.org/x/sys/unix"
)

// TestWriteFileCopiesInKernel checks that WriteFile hands a spilled layer
// to the kernel (copy_file_range) rather than copying it through memory
// in 32 KiB writes, by the number of write system calls the process made
// (syscw in /proc/self/io, which copy_file_range also counts, once per
// call). Skipped where the kernel will not copy between two files of the
// test's directory.
func TestWriteFileCopiesInKernel(t *testing.T) {
	dir := t.TempDir()
	if err := probeCopyFileRange(dir); err != nil {
		t.Skip("the kernel does not copy files here:", err)
	}
	data := make([]byte, 24<<20)
	rand.Read(data)
	b := layer.New(layer.Options{SpillThreshold: -1, SpillDir: dir, Format: layer.Format{Compression: layer.Uncompressed}})
	b.AddFile("/data", data, layer.Attr{})
	l, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	img := imagetest.Fixture(t, amd64).Append(l)
	before := testenv.ProcIO(t, "syscw")
	if err := tarball.WriteFile(context.Background(), filepath.Join(dir, "app.tar"), img, tarball.Options{}); err != nil {
		t.Fatal(err)
	}
	// Through memory, 24 MiB take 768 writes of 32 KiB; in the kernel, 3
	// calls of 8 MiB, and a few writes for the rest of the tarball.
	if n := testenv.ProcIO(t, "syscw") - before; n > 100 {
		t.Errorf("WriteFile made %d write calls for a 24 MiB layer; want the kernel to copy it (a few calls)", n)
	}
}

// probeCopyFileRange copies a byte between two files in dir with
// copy_file_range.
func probeCopyFileRange(dir string) error {
	src, err := os.CreateTemp(dir, "probe")
	if err != nil {
		return err
	}
	defer os.Remove(src.Name())
	defer src.Close()
	dst, err := os.CreateTemp(dir, "probe")
	if err != nil {
		return err
	}
	defer os.Remove(dst.Name())
	defer dst.Close()
	if _, err := src.Write([]byte{1}); err != nil {
		return err
	}
	var off int64
	_, err = unix.CopyFileRange(int(src.Fd()), &off, int(dst.Fd()), nil, 1, 0)
	return err
}
