//go:build !unix

package build

import "os/exec"

// inGroup leaves cmd as it is where process groups are missing:
// cancelling kills go build itself.
func inGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {}
