//go:build unix

package build

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
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
// A SIGKILL takes effect after kill returns, so it waits, up to a second,
// until no process of the group runs: nothing go build started outlives
// Run.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGKILL)
	for deadline := time.Now().Add(time.Second); groupRuns(pgid) && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
}

// groupRuns reports whether a process of group pgid is left that is not
// a zombie. A compiler whose go build is gone becomes the child of the
// init process, which may be slow to reap it, or never do (a container's
// or a microVM's init): such a zombie, dead, is not waited for. Where
// /proc is missing, any process of the group counts.
func groupRuns(pgid int) bool {
	if syscall.Kill(-pgid, 0) == syscall.ESRCH {
		return false
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	want := strconv.Itoa(pgid)
	for _, e := range ents {
		// "PID (COMM) STATE PPID PGRP ...", COMM possibly with spaces
		// and parentheses of its own.
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 2 && f[2] == want && f[0] != "Z" {
			return true
		}
	}
	return false
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
