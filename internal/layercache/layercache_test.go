package layercache

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minimage/minimage/layer"
)

func buildLayer(t testing.TB, content string) func() (*layer.Layer, error) {
	return func() (*layer.Layer, error) {
		b := layer.New(layer.Options{})
		if err := b.AddFile("/f", []byte(content), layer.Attr{}); err != nil {
			t.Fatal(err)
		}
		return b.Build(context.Background())
	}
}

func readable(t *testing.T, l *layer.Layer) bool {
	t.Helper()
	rc, err := l.Compressed(context.Background())
	if err != nil {
		return false
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err == nil
}

func TestHitSharesAndCallsProgress(t *testing.T) {
	var c Cache[string]
	ctx := context.Background()
	first, err := c.Layer(ctx, "a", nil, buildLayer(t, "a"))
	if err != nil {
		t.Fatal(err)
	}
	var got []layer.Progress
	second, err := c.Layer(ctx, "a", func(p layer.Progress) { got = append(got, p) }, func() (*layer.Layer, error) {
		t.Fatal("a hit built the layer")
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Builds() != 1 || first == second || first.Digest() != second.Digest() {
		t.Fatalf("builds %d, same pointer %v: want one build and two Shares", c.Builds(), first == second)
	}
	if len(got) != 1 || got[0].In != second.TarSize() || got[0].Out != second.Size() {
		t.Errorf("progress on a hit: %+v, want one call with the layer's sizes", got)
	}
	first.Release()
	if !readable(t, second) {
		t.Error("one caller's Release took another's bytes")
	}
	third, _ := c.Layer(ctx, "a", nil, buildLayer(t, "a"))
	if c.Builds() != 1 || !readable(t, third) {
		t.Error("a caller's Release emptied the cache")
	}
}

func TestConcurrentMissesBuildOnce(t *testing.T) {
	var c Cache[int]
	var calls atomic.Int32
	gate := make(chan struct{})
	build := func() (*layer.Layer, error) {
		calls.Add(1)
		<-gate
		return buildLayer(t, "x")()
	}
	var wg sync.WaitGroup
	ls := make([]*layer.Layer, 8)
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

func TestFailedBuildNotCached(t *testing.T) {
	var c Cache[int]
	boom := errors.New("boom")
	if _, err := c.Layer(context.Background(), 1, nil, func() (*layer.Layer, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	l, err := c.Layer(context.Background(), 1, nil, buildLayer(t, "ok"))
	if err != nil || !readable(t, l) {
		t.Fatalf("after a failed build: %v", err)
	}
}

func TestWaiterStopsOnCancel(t *testing.T) {
	var c Cache[int]
	gate := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		c.Layer(context.Background(), 1, nil, func() (*layer.Layer, error) { <-gate; return buildLayer(t, "x")() })
	})
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Layer(ctx, 1, nil, buildLayer(t, "x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past the deadline: %v", err)
	}
	close(gate)
	wg.Wait()
}

func TestEviction(t *testing.T) {
	var c Cache[int]
	ctx := context.Background()
	old, _ := c.Layer(ctx, 0, nil, buildLayer(t, "0"))
	for i := 1; i <= Size; i++ {
		if _, err := c.Layer(ctx, i, nil, buildLayer(t, string(rune('0'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.entries) != Size {
		t.Errorf("%d entries, want %d", len(c.entries), Size)
	}
	if !readable(t, old) {
		t.Error("eviction took a caller's Share")
	}
	builds := c.Builds()
	c.Layer(ctx, 0, nil, buildLayer(t, "0"))
	if c.Builds() != builds+1 {
		t.Error("the oldest key was still cached after Size newer ones")
	}
}
