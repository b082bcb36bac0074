package durable

import (
	"os"

	"golang.org/x/sys/unix"
)

const background = true

// syncData writes f's data, and what is needed to read it back, to the
// disk (fdatasync).
func syncData(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = unix.Fdatasync(int(fd))
			if serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}
