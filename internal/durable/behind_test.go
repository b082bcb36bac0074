package durable

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"syscall"
)

// TestBehindReportsErrors checks that an error of a background sync comes
// back from Wait: a pipe cannot be synced (EINVAL).
func TestBehindReportsErrors(t *testing.T) {
	if !background {
		t.Skip("no background syncs on " + runtime.GOOS)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	b := &Behind{f: w, chunk: 10}
	b.Wrote(9)
	if err := b.Wait(); err != nil {
		t.Fatalf("Wait after less than a chunk: %v, want nil (no sync started)", err)
	}
	b.Wrote(1)
	if err := b.Wait(); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Wait after a sync of a pipe: %v, want EINVAL", err)
	}
	b.Wrote(10)
	if err := b.Wait(); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Wait: %v, want the first error kept", err)
	}
}

// TestBehindSyncs writes a file in chunks and checks that every sync
// started ends by Wait, with no error, and that Wait with none in flight
// returns at once.
func TestBehindSyncs(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := &Behind{f: f, chunk: 4096}
	chunk := make([]byte, 1000)
	for range 50 {
		n, err := f.Write(chunk)
		if err != nil {
			t.Fatal(err)
		}
		b.Wrote(int64(n))
	}
	if err := b.Wait(); err != nil {
		t.Fatal(err)
	}
	if background && b.done == nil {
		t.Fatal("50 kB written in chunks of 4 KiB started no sync")
	}
	if err := b.Wait(); err != nil {
		t.Fatal(err)
	}
}
