//go:build unix

package oci

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// SyncDir makes the renames in dir durable.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

var umaskOnce = sync.OnceValue(func() os.FileMode {
	// Linux tells the umask in /proc without changing it.
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return os.FileMode(m)
				}
			}
		}
	}
	// Elsewhere it can only be read by setting it; set it back at once.
	// This runs once per process.
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
})

func umask() os.FileMode { return umaskOnce() }
