package build_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
)

// markedProcs returns the pids of processes whose environment holds
// mark: what a go build started with mark in its environment left.
func markedProcs(mark string) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, []byte(mark)) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// slowPackage writes a package whose first build, with an empty
// GOCACHE, compiles much of the standard library: many seconds.
func slowPackage(t *testing.T) string {
	t.Helper()
	pkg := filepath.Join(t.TempDir(), "slow")
	writeFiles(t, pkg, map[string]string{
		"go.mod":  "module slow\n\ngo 1.22\n",
		"main.go": "package main\n\nimport (\n\t_ \"net/http\"\n\t_ \"crypto/tls\"\n)\n\nfunc main() {}\n",
	})
	t.Setenv("GOCACHE", t.TempDir())
	return pkg
}

// TestRunCancel cancels a build while go build compiles: Run returns
// promptly with the context's error, every process go build started is
// gone, nothing is left in TMPDIR, and no goroutine is left running.
func TestRunCancel(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	tmp := t.TempDir()
	pkg := slowPackage(t)
	t.Setenv("TMPDIR", tmp)
	mark := fmt.Sprintf("MINIMAGE_TEST_MARK=%d", time.Now().UnixNano())
	before := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := build.Run(ctx, build.Recipe{
			Package:   pkg,
			Platforms: []image.Platform{amd64, arm64},
			GoBuild:   build.GoBuild{Env: []string{mark}},
		})
		done <- err
	}()
	deadline := time.Now().Add(60 * time.Second)
	for len(markedProcs(mark)) < 4 { // two go builds and their compilers
		if time.Now().After(deadline) {
			t.Fatal("go build did not start compiling within a minute")
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned before it was cancelled: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	running := markedProcs(mark)
	cancel()
	start := time.Now()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30 s of the cancel")
	}
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	t.Logf("%d processes running at the cancel; Run returned after %v", len(running), took)
	if took > 5*time.Second {
		t.Errorf("Run took %v to return after the cancel", took)
	}
	if left := markedProcs(mark); len(left) > 0 {
		t.Errorf("processes left after Run returned: %v", left)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("left in TMPDIR: %v", names)
	}
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Run, %d before", n, before)
	}
}
