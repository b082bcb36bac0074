//go:build !unix

package build

import (
	"os"
	"os/exec"
)

// inGroup leaves cmd as it is where process groups are missing:
// cancelling kills go build itself.
func inGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {}

// tryLock does not lock where flock is missing: concurrent runs sharing
// a GoBuild.Cache entry may then race.
func tryLock(f *os.File) (bool, error) { return true, nil }
