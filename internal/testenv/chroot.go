//go:build unix

package testenv

import (
	"os/exec"
	"syscall"
	"testing"
)

// Chroot returns a command that runs argv in a chroot of rootfs as
// uid:gid, as a container runtime would: in the working directory "/",
// with env as the whole environment (nil means an empty one, not the
// test's). The caller may change the command, its Dir for one, before
// running it. Chroot calls NeedRoot first.
func Chroot(tb testing.TB, rootfs string, uid, gid uint32, env []string, argv ...string) *exec.Cmd {
	tb.Helper()
	NeedRoot(tb)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/"
	cmd.Env = append([]string{}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     rootfs,
		Credential: &syscall.Credential{Uid: uid, Gid: gid},
	}
	return cmd
}
