//go:build unix

package layer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostFileSwappedForFIFO replaces a host file with a named pipe after
// AddHostFile: Build must refuse it at once, not wait for a writer.
func TestHostFileSwappedForFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := New(Options{})
	if err := b.AddHostFile("/f", p, Attr{}); err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := b.Build(ctx)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Fatalf("Build: %v; want an error naming the pipe", err)
		}
	case <-time.After(20 * time.Second):
		// Let the blocked open return, so the test binary can end.
		if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("Build blocked on a named pipe past its context's deadline")
	}
}
