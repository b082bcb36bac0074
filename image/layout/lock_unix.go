//go:build unix

package layout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on the directory itself, so the layout
// needs no extra lock file that other tools would see. It waits for a
// lock held by another writer, in this process or another, until ctx is
// done. The lock goes with the process: a crashed writer holds none.
//
// The wait is a blocking flock in a goroutine, woken by the kernel when
// the lock is free. A blocked flock cannot be interrupted, so when ctx is
// done first lockDir returns at once and leaves the goroutine to close
// the directory, which drops the lock, as soon as it gets it: writers
// hold the lock only while they replace index.json, so that is soon.
func lockDir(ctx context.Context, dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("layout: lock: %w", err)
	}
	unlock = func() { f.Close() } // closing the last descriptor drops the flock
	err = flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		return unlock, nil
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("layout: lock %s: %w", dir, err)
	}
	got := make(chan error)
	abandon := make(chan struct{})
	go func() {
		err := flock(f, syscall.LOCK_EX)
		select {
		case got <- err:
		case <-abandon:
			f.Close()
		}
	}()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("layout: lock %s: %w", dir, err)
		}
		return unlock, nil
	case <-ctx.Done():
		close(abandon)
		return nil, fmt.Errorf("layout: lock %s: another writer holds it: %w", dir, ctx.Err())
	}
}

// flock applies how to f, again when a signal interrupts the wait.
func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how)
			if !errors.Is(ferr, syscall.EINTR) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return ferr
}
