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
