package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// GoBuild builds the main package in dir into out (its parent made as
// needed) for linux with CGO_ENABLED=0 and -trimpath, env added to the
// environment (GOARCH=arm64, say), and returns out. It ends the test if
// go build fails.
func GoBuild(tb testing.TB, dir, out string, env ...string) string {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOOS=linux", "CGO_ENABLED=0", "GOFLAGS="}, env...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s %v: %v\n%s", dir, env, err, b)
	}
	return out
}
