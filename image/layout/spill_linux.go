package layout

import (
	"os"

	"golang.org/x/sys/unix"
)

// canLink says whether layers can be linked into a layout on this system.
const canLink = true

// unnamedFiles reports whether dir is a directory whose file system makes
// files without a name (O_TMPFILE), as layer's spill files are made.
func unnamedFiles(dir string) bool {
	f, err := os.OpenFile(dir, os.O_RDWR|unix.O_TMPFILE, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// startWriteback starts writing n bytes of f at off to the disk, without
// waiting for it.
func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}

// waitWriteback writes n bytes of f at off to the disk and waits until
// they are there.
func waitWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	})
}
