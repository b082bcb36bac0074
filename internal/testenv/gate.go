package testenv

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// InCI reports whether the tests run in CI, where the environment sets
// CI=true and a missing tool or privilege is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// NeedTool returns the path of the program name found in PATH. When it is
// missing, NeedTool skips the test, or fails it under CI=true, where
// .ci/run installs every tool the tests use.
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if InCI() {
			tb.Fatalf("%s is missing; .ci/run installs it (CI=true makes that a failure)", name)
		}
		tb.Skipf("%s not installed", name)
	}
	return p
}

// NeedRoot skips the test unless it runs as root on Linux, which chroot
// and changing the user need; under CI=true it fails instead, as CI runs
// as root on Linux.
func NeedRoot(tb testing.TB) {
	tb.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		if InCI() {
			tb.Fatal("needs root on Linux, and CI=true: run CI as root on Linux")
		}
		tb.Skip("needs root on Linux for chroot")
	}
}
