//go:build !unix

package oci

// SyncDir does nothing where directories cannot be synced.
func SyncDir(dir string) error { return nil }
