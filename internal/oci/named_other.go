//go:build !unix

package oci

import "os"

// TargetFile returns the temporary file: only Unix gives it a second
// handle named after the target. The caller must not close it.
func (a *AtomicFile) TargetFile() (f *os.File, own bool) { return a.f, false }
