package layer

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func cachedLayer(t testing.TB, content string) func() (*Layer, error) {
	return func() (*Layer, error) {
		b := New(Options{})
		if err := b.AddFile("/f", []byte(content), Attr{}); err != nil {
			t.Fatal(err)
		}
		return b.Build(context.Background())
	}
}

func cacheReadable(t *testing.T, l *Layer) bool {
	t.Helper()
	rc, err := l.Compressed(context.Background())
	if err != nil {
		return false
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err == nil
}

func TestCacheHitSharesAndCallsProgress(t *testing.T) {
	var c Cache
	ctx := context.Background()
	first, err := c.Layer(ctx, "a", nil, cachedLayer(t, "a"))
	if err != nil {
		t.Fatal(err)
	}
	var got []Progress
	second, err := c.Layer(ctx, "a", func(p Progress) { got = append(got, p) }, func() (*Layer, error) {
		t.Fatal("a hit built the layer")
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.builds.Load() != 1 || first == second || first.Digest() != second.Digest() {
		t.Fatalf("builds %d, same pointer %v: want one build and two Shares", c.builds.Load(), first == second)
	}
	if len(got) != 1 || got[0].In != second.TarSize() || got[0].Out != second.Size() {
		t.Errorf("progress on a hit: %+v, want one call with the layer's sizes", got)
	}
	first.Release()
	if !cacheReadable(t, second) {
		t.Error("one caller's Release took another's bytes")
	}
	third, _ := c.Layer(ctx, "a", nil, cachedLayer(t, "a"))
	if c.builds.Load() != 1 || !cacheReadable(t, third) {
		t.Error("a caller's Release emptied the cache")
	}
}

func TestCacheConcurrentMissesBuildOnce(t *testing.T) {
	var c Cache
	var calls atomic.Int32
	gate := make(chan struct{})
	build := func() (*Layer, error) {
		calls.Add(1)
		<-gate
		return cachedLayer(t, "x")()
	}
	var wg sync.WaitGroup
	ls := make([]*Layer, 8)
	for i := range ls {
		wg.Go(func() {
			l, err := c.Layer(context.Background(), 1, nil, build)
			if err != nil {
				t.Error(err)
			}
			ls[i] = l
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(gate)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d builds for one key, want 1", n)
	}
	for _, l := range ls {
		if l == nil || l.Digest() != ls[0].Digest() {
			t.Fatal("callers got different layers")
		}
	}
}

func TestCacheFailedBuildNotCached(t *testing.T) {
	var c Cache
	boom := errors.New("boom")
	if _, err := c.Layer(context.Background(), 1, nil, func() (*Layer, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	l, err := c.Layer(context.Background(), 1, nil, cachedLayer(t, "ok"))
	if err != nil || !cacheReadable(t, l) {
		t.Fatalf("after a failed build: %v", err)
	}
}

func TestCacheWaiterStopsOnCancel(t *testing.T) {
	var c Cache
	gate := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		c.Layer(context.Background(), 1, nil, func() (*Layer, error) { <-gate; return cachedLayer(t, "x")() })
	})
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Layer(ctx, 1, nil, cachedLayer(t, "x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past the deadline: %v", err)
	}
	close(gate)
	wg.Wait()
}

func TestCacheEviction(t *testing.T) {
	var c Cache
	ctx := context.Background()
	old, _ := c.Layer(ctx, 0, nil, cachedLayer(t, "0"))
	for i := 1; i <= cacheSize; i++ {
		if _, err := c.Layer(ctx, i, nil, cachedLayer(t, string(rune('0'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.entries) != cacheSize {
		t.Errorf("%d entries, want %d", len(c.entries), cacheSize)
	}
	if !cacheReadable(t, old) {
		t.Error("eviction took a caller's Share")
	}
	builds := c.builds.Load()
	c.Layer(ctx, 0, nil, cachedLayer(t, "0"))
	if c.builds.Load() != builds+1 {
		t.Error("the oldest key was still cached after cacheSize newer ones")
	}
}

func TestCacheRelease(t *testing.T) {
	var c Cache
	ctx := context.Background()
	held, err := c.Layer(ctx, 1, nil, cachedLayer(t, "x"))
	if err != nil {
		t.Fatal(err)
	}
	c.Release()
	if c.Len() != 0 || !cacheReadable(t, held) {
		t.Fatalf("after Release: %d entries, caller's Share readable %v; want none and true", c.Len(), cacheReadable(t, held))
	}
	if _, err := c.Layer(ctx, 1, nil, cachedLayer(t, "x")); err != nil || c.builds.Load() != 2 || c.Len() != 1 {
		t.Errorf("after Release: %v, %d builds, %d entries; want a new build", err, c.builds.Load(), c.Len())
	}
}

// TestCacheKeysOfTwoTypes keeps equal values of two key types apart, as
// two packages sharing a Cache need.
func TestCacheKeysOfTwoTypes(t *testing.T) {
	type keyA struct{ n int }
	type keyB struct{ n int }
	var c Cache
	ctx := context.Background()
	a, _ := c.Layer(ctx, keyA{1}, nil, cachedLayer(t, "a"))
	b, _ := c.Layer(ctx, keyB{1}, nil, cachedLayer(t, "b"))
	if c.Len() != 2 || a.Digest() == b.Digest() {
		t.Errorf("keys of two types: %d entries, equal digests %v; want 2 and false", c.Len(), a.Digest() == b.Digest())
	}
}
