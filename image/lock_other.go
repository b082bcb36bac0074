//go:build !unix

package image

import "context"

// lockDir does nothing where flock is missing: concurrent writers to one
// layout are not serialized there.
func lockDir(ctx context.Context, dir string) (func(), error) { return func() {}, nil }

// syncDir does nothing where directories cannot be synced.
func syncDir(dir string) error { return nil }
