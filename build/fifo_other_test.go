//go:build !unix

package build_test

import "errors"

// mkfifo makes a named pipe at path, which this system has none of.
func mkfifo(path string) error { return errors.ErrUnsupported }
