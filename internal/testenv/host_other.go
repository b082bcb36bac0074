//go:build !unix

package testenv

import (
	"io/fs"
	"testing"
)

// Umask sets the process's umask to mask until the test ends, when the
// one before is restored. On hosts with no umask (Windows) it does
// nothing. The umask is the process's: tests that call Umask must not
// run in parallel.
func Umask(tb testing.TB, mask int) {}

// Owner returns the uid and gid that own the file fi describes, as the
// host's file system reports them; on hosts with no Unix owners it skips
// the test.
func Owner(tb testing.TB, fi fs.FileInfo) (uid, gid uint32) {
	tb.Helper()
	tb.Skipf("testenv: %s has no Unix owner on this host", fi.Name())
	return 0, 0
}
