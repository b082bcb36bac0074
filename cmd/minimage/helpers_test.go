package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	helloOnce sync.Once
	helloBin  string
	helloErr  error
	helloDir  string
)

// helloBinary returns examples/hello built for linux/GOARCH, once per
// test run.
func helloBinary(t *testing.T) string {
	t.Helper()
	helloOnce.Do(func() {
		helloDir, helloErr = os.MkdirTemp("", "minimage-test-*")
		if helloErr != nil {
			return
		}
		helloBin = filepath.Join(helloDir, "hello")
		cmd := exec.Command("go", "build", "-trimpath", "-o", helloBin, ".")
		cmd.Dir = filepath.Join(repoRoot(t), "examples", "hello")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			helloErr = err
			t.Logf("%s", out)
		}
	})
	if helloErr != nil {
		t.Fatalf("building examples/hello: %v", helloErr)
	}
	return helloBin
}

func TestMain(m *testing.M) {
	// The binary cache of "minimage build" goes where the tests clean up.
	// Go's build cache stays where it was: it too derives from
	// XDG_CACHE_HOME, and a fresh one makes every go build the tests run
	// compile the standard library again (a minute of the suite).
	if err := keepGoCache(); err != nil {
		panic(err)
	}
	cache, err := os.MkdirTemp("", "minimage-cache-*")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	if helloDir != "" {
		os.RemoveAll(helloDir)
	}
	os.Exit(code)
}

// keepGoCache sets GOCACHE to the build cache go uses now, where it is
// not set, so that a later XDG_CACHE_HOME does not move it.
func keepGoCache() error {
	if os.Getenv("GOCACHE") != "" {
		return nil
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return fmt.Errorf("go env GOCACHE: %w", err)
	}
	return os.Setenv("GOCACHE", strings.TrimSpace(string(out)))
}
