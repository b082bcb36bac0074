package oci

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteAtomicNamesTarget: an error of the temporary file names the
// target, even when the caller wrapped it into a message before
// WriteAtomic returns.
func TestWriteAtomicNamesTarget(t *testing.T) {
	dir := t.TempDir()
	var tmp string
	err := WriteAtomic(dir, "out.tar", func(w io.Writer) error {
		tw, ok := w.(targetWriter)
		if !ok {
			t.Fatalf("the writer is a %T", w)
		}
		tmp = tw.f.Name()
		// What a full disk gives, as the file reports it, wrapped the
		// way the tarball writer wraps it.
		werr := tw.rename(&os.PathError{Op: "write", Path: tmp, Err: syscall.ENOSPC})
		// TargetError, for writes straight to File, does the same.
		if ferr := tw.TargetError(&os.PathError{Op: "write", Path: tw.File().Name(), Err: syscall.ENOSPC}); ferr.Error() != werr.Error() {
			t.Errorf("TargetError gives %q, want %q", ferr, werr)
		}
		return fmt.Errorf("tarball: write: blobs/sha256/abc: %w", werr)
	})
	if err == nil || strings.Contains(err.Error(), ".tmp-") || !strings.Contains(err.Error(), filepath.Join(dir, "out.tar")) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error %q: want it to name the target, not the temporary file, and wrap ENOSPC", err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the temporary file %s is left behind", tmp)
	}
	// Other errors pass unchanged.
	other := errors.New("other")
	if got := (targetWriter{target: "x"}).rename(other); got != other {
		t.Errorf("rename changed %v to %v", other, got)
	}
}
