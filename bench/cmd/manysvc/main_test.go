package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWrite checks that the module builds into one binary per service and
// that writing it again gives the same files.
func TestWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the generated module")
	}
	const n = 11 // past the list of extra packages, so two services share one
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := write(dir, "example.com/manysvc", n); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs (%v)", rel, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := write(a, "example.com/manysvc", n); err == nil {
		t.Error("write into a non-empty directory: no error")
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", bin+"/", "./cmd/...")
	cmd.Dir = a
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ents, err := os.ReadDir(bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != n {
		t.Fatalf("go build wrote %d binaries, want %d", len(ents), n)
	}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("svc%02d", i)
		src, err := os.ReadFile(filepath.Join(a, "cmd", name, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("const name = %q", name); !bytes.Contains(src, []byte(want)) {
			t.Errorf("cmd/%s/main.go lacks %s", name, want)
		}
	}
}
