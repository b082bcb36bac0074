//go:build unix

package layer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

func sameDevice(t *testing.T, a, b string) bool {
	t.Helper()
	sa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return sa.Sys().(*syscall.Stat_t).Dev == sb.Sys().(*syscall.Stat_t).Dev
}

// TestLinkOtherFileSystem links a layer spilled to one file system into
// another: an error, and nothing made, so the caller copies.
func TestLinkOtherFileSystem(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux names unnamed files")
	}
	other, err := os.MkdirTemp("/dev/shm", "minimage-link-*")
	if err != nil {
		t.Skip("no /dev/shm")
	}
	defer os.RemoveAll(other)
	dir := t.TempDir()
	if sameDevice(t, dir, other) {
		t.Skip("/dev/shm and the test's temporary directory are one file system")
	}
	b := New(Options{SpillDir: dir, SpillThreshold: -1})
	b.AddFile("/d", randomData(64<<10, 7), Attr{})
	l := build(t, b)
	p := filepath.Join(other, "blob")
	if err := l.Link(p); err == nil {
		t.Fatal("Link across file systems succeeded")
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed Link left a file: %v", err)
	}
}
