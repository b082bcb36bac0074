//go:build unix

package layout_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/layer"
)

// holdLock takes the flock that writers of dir take, as another process
// would hold it, and returns its release.
func holdLock(t *testing.T, dir string) (release func()) {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}

// A writer waiting for the lock stops when its context is done, and
// leaves the lock free for the next writer once the holder lets go.
func TestLockWaitCancelled(t *testing.T) {
	dir := t.TempDir()
	a := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, a, "a")
	before := mustRead(t, filepath.Join(dir, "index.json"))
	release := holdLock(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := layout.Write(ctx, dir, a.WithEnv("Z", "1"), layout.Options{Tags: []string{"b"}})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "another writer") {
		t.Fatalf("err %v, want one saying another writer holds the lock", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Write returned %v after its context was done", d)
	}
	checkIntact(t, dir, before, a)
	release()

	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := layout.Write(ctx, dir, a.WithEnv("Z", "1"), layout.Options{Tags: []string{"b"}}); err != nil {
		t.Fatalf("after the holder let go: %v (did the cancelled writer keep the lock?)", err)
	}
	readBack(t, dir, "b", amd64, a.WithEnv("Z", "1"))
}

// A writer waits for the lock, not for a poll: it is done soon after the
// holder lets go.
func TestLockWaits(t *testing.T) {
	dir := t.TempDir()
	a := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, a, "a")
	release := holdLock(t, dir)
	done := make(chan error, 1)
	go func() { done <- layout.Write(context.Background(), dir, a, layout.Options{Tags: []string{"b"}}) }()
	select {
	case err := <-done:
		t.Fatalf("Write returned while the lock was held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Write still waiting 10s after the lock was let go")
	}
	readBack(t, dir, "b", amd64, a)
}

// A writer's blobs are written without the lock: a slow writer does not
// hold up another writer of the same layout (issue 26, item 4).
func TestSlowWriterDoesNotBlockOthers(t *testing.T) {
	dir := t.TempDir()
	writeLayout(t, dir, imagetest.Fixture(t, amd64), "a")
	good := imagetest.FilesLayer(t, "slow", strings.Repeat("s", 64<<10))
	reading, unblock := make(chan struct{}), make(chan struct{})
	slow, err := layer.FromBlob(good.Descriptor(), good.DiffID(), func(ctx context.Context) (io.ReadCloser, error) {
		close(reading)
		select {
		case <-unblock:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return good.Compressed(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	slowImg := imagetest.Fixture(t, amd64).Append(slow)
	done := make(chan error, 1)
	go func() {
		done <- layout.Write(context.Background(), dir, slowImg, layout.Options{Tags: []string{"slow"}})
	}()
	<-reading
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fast := imagetest.Fixture(t, amd64).WithEnv("F", "1")
	err = layout.Write(ctx, dir, fast, layout.Options{Tags: []string{"fast"}})
	close(unblock)
	if err != nil {
		t.Fatalf("a writer waited for another's blobs: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	readBack(t, dir, "fast", amd64, fast)
	readBack(t, dir, "slow", amd64, slowImg)
	readBack(t, dir, "a", amd64, imagetest.Fixture(t, amd64))
}
