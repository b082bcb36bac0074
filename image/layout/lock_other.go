//go:build !unix

package layout

import "context"

// lockDir does nothing where flock is missing: concurrent writers to one
// layout are not serialized there.
func lockDir(ctx context.Context, dir string) (func(), error) { return func() {}, nil }
