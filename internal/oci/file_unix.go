//go:build unix

package oci

import (
	"os"
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
