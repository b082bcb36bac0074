//go:build unix

package build

import (
	"os"
	"os/exec"
	"syscall"
)

// inGroup starts cmd in a process group of its own, so that cancelling
// reaches the compiler and linker go build starts, not go build alone.
// Cancelling sends SIGINT to the group: go build stops its children and
// removes its work directory, as on Ctrl-C.
func inGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	}
}

// killGroup kills what is left of cmd's process group after a cancelled
// cmd exited: any child go build left behind when it was killed after
// WaitDelay. (While such a child lives, the group id cannot be reused.)
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// tryLock takes f's exclusive flock without waiting; ok is false while
// another holds it.
func tryLock(f *os.File) (ok bool, err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == syscall.EWOULDBLOCK {
		return false, nil
	}
	return err == nil, err
}
