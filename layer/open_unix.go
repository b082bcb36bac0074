//go:build unix

package layer

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// oNonblock makes opening a named pipe return at once instead of waiting
// for a writer.
const oNonblock = syscall.O_NONBLOCK

// dupFile returns a new handle on f's open file (close-on-exec), which
// stays valid when f is closed.
func dupFile(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, &os.PathError{Op: "dup", Path: f.Name(), Err: derr}
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}
