package oci

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Stage leaves the target absent until Commit; Discard and a failed write
// leave nothing behind, and a write's error names the target.
func TestStage(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "blob")
	p, err := Stage(dir, "blob", func(w io.Writer) error { _, err := io.WriteString(w, "data"); return err })
	if err != nil {
		t.Fatal(err)
	}
	if p.Target() != target {
		t.Errorf("Target = %s, want %s", p.Target(), target)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the target is there before Commit: %v", err)
	}
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(target); err != nil || string(data) != "data" {
		t.Fatalf("after Commit: %q, %v", data, err)
	}

	p, err = Stage(dir, "other", func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
	if err != nil {
		t.Fatal(err)
	}
	p.Discard()

	_, err = Stage(dir, "failed", func(w io.Writer) error {
		return &os.PathError{Op: "write", Path: w.(targetWriter).f.Name(), Err: syscall.ENOSPC}
	})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), filepath.Join(dir, "failed")) {
		t.Errorf("a failed write: %v, want ENOSPC naming the target", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "blob" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the directory holds %v, want only blob", names)
	}
}
