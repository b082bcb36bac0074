package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
