//go:build unix

package build

import "syscall"

// writable refuses an output whose directory dir this process cannot
// write to, so that the refusal comes before the work, not after it.
func writable(dir, path string) error {
	const wOK = 0x2
	if err := syscall.Access(dir, wOK|0x1); err != nil {
		return invalid("output %s: cannot write to %s: %v", path, dir, err)
	}
	return nil
}
