//go:build !linux

package layer

import (
	"context"
	"errors"
	"os"
)

// createSpill creates a temporary file in dir ("" for os.TempDir), which
// the caller unlinks where the system allows. Only Linux makes files that
// linkFile can name later.
func createSpill(dir, pattern string) (f *os.File, linkable bool, err error) {
	f, err = os.CreateTemp(dir, pattern)
	return f, false, err
}

func linkFile(f *os.File, name string) error {
	return &os.PathError{Op: "link", Path: name, Err: errors.ErrUnsupported}
}

func copyRange(ctx context.Context, dst, src *os.File, off, size int64) (int64, bool, error) {
	return 0, false, nil
}
