//go:build unix

package layout

import (
	"os"
	"syscall"
)

// openNonblock opens p for reading without blocking on a FIFO.
func openNonblock(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
