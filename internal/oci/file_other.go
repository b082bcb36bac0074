//go:build !unix

package oci

import "os"

// SyncDir does nothing where directories cannot be synced.
func SyncDir(dir string) error { return nil }

func umask() os.FileMode { return 0o022 }
