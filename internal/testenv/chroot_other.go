//go:build !unix

package testenv

import (
	"os/exec"
	"testing"
)

// Chroot needs a Unix host; on others it skips the test through
// NeedRoot, which wants Linux, or fails it under CI=true.
func Chroot(tb testing.TB, rootfs string, uid, gid uint32, env []string, argv ...string) *exec.Cmd {
	tb.Helper()
	NeedRoot(tb)
	tb.Fatal("testenv: Chroot needs a Unix host")
	return nil
}
