package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	exeOnce sync.Once
	exePath string
	exeErr  error
)

// minimageExe builds the command once per test run, for tests that run
// it as a process.
func minimageExe(t *testing.T) string {
	t.Helper()
	exeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "minimage-exe-*")
		if err != nil {
			exeErr = err
			return
		}
		exePath = filepath.Join(dir, "minimage")
		out, err := exec.Command("go", "build", "-o", exePath, ".").CombinedOutput()
		if err != nil {
			exeErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if exeErr != nil {
		t.Fatalf("building minimage: %v", exeErr)
	}
	return exePath
}

// markedProcs returns the pids of processes whose environment holds mark.
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

// TestSIGTERM stops "minimage build" with SIGTERM while go build
// compiles (issue 17 #9): it exits saying so, and leaves no process, no
// temporary directory and nothing beside the outputs.
func TestSIGTERM(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	exe := minimageExe(t)
	pkg := filepath.Join(t.TempDir(), "slow")
	os.MkdirAll(pkg, 0o755)
	os.WriteFile(filepath.Join(pkg, "go.mod"), []byte("module slow\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(pkg, "main.go"), []byte("package main\n\nimport (\n\t_ \"crypto/tls\"\n\t_ \"net/http\"\n)\n\nfunc main() {}\n"), 0o644)
	tmp, outDir := t.TempDir(), t.TempDir()
	mark := fmt.Sprintf("MINIMAGE_TEST_MARK=%d", time.Now().UnixNano())

	cmd := exec.Command(exe, "build", "--platform", "linux/amd64,linux/arm64", "-o", filepath.Join(outDir, "layout"), "-o", filepath.Join(outDir, "slow.tar"), pkg)
	// A new GOCACHE makes go build compile the standard library: slow.
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "GOCACHE="+t.TempDir(), mark)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	// minimage, two go builds and at least one compiler.
	for len(markedProcs(mark)) < 4 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("go build did not start compiling within a minute:\n%s", stderr.String())
		}
		select {
		case err := <-exited:
			t.Fatalf("minimage exited before the signal: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	running := markedProcs(mark)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("minimage did not exit within 15 s of SIGTERM")
	}
	t.Logf("%d processes at SIGTERM; stderr:\n%s", len(running), stderr.String())
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("minimage exited with %v; want exit status 1", err)
	}
	if last := strings.TrimSpace(stderr.String()); !strings.HasSuffix(last, "minimage build: terminated signal received") {
		t.Errorf("stderr ends %q; want it to say the signal", last[max(0, len(last)-200):])
	}
	time.Sleep(100 * time.Millisecond) // let init reap what the kernel already killed
	if left := markedProcs(mark); len(left) > 0 {
		t.Errorf("processes left after minimage exited: %v", left)
	}
	for _, d := range []string{tmp, outDir} {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("left in %s: %v", d, names)
		}
	}
}
