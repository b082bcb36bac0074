//go:build unix

package oci

import (
	"os"

	"golang.org/x/sys/unix"
)

// TargetFile returns a second handle on the temporary file (sharing its
// offset) whose name, and so that of its errors, is the target's, for a
// writer that wraps write errors before they can be renamed; the caller
// closes it. Where the system cannot duplicate the handle, it returns the
// file itself, which the caller must not close.
func (a *AtomicFile) TargetFile() (f *os.File, own bool) {
	rc, err := a.f.SyscallConn()
	if err != nil {
		return a.f, false
	}
	nfd := -1
	rc.Control(func(fd uintptr) { nfd, _ = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) })
	if nfd < 0 {
		return a.f, false
	}
	return os.NewFile(uintptr(nfd), a.target), true
}
