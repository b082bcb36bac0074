package base

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/minimage/minimage/layer"
)

func TestLayerCache(t *testing.T) {
	ctx := context.Background()
	cache := new(layer.Cache)
	f := layer.Format{ModTime: time.Unix(1234, 0)}
	first, err := Layer(ctx, Options{Layer: layer.Options{Format: f}, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	second, err := Layer(ctx, Options{Layer: layer.Options{Format: f, Blocks: 1, Progress: func(layer.Progress) { calls++ }}, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if cache.Len() != 1 || first == second || first.Digest() != second.Digest() || calls != 1 {
		t.Fatalf("second call: %d cached, same pointer %v, %d progress calls; want a Share of the one cached layer and one call", cache.Len(), first == second, calls)
	}
	first.Release()
	rc, err := second.Compressed(ctx)
	if err != nil {
		t.Fatal("one caller's Release took another's bytes:", err)
	}
	io.Copy(io.Discard, rc)
	rc.Close()
	other, _ := Layer(ctx, Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(1235, 0)}}, Cache: cache})
	if cache.Len() != 2 || other.DiffID() == second.DiffID() {
		t.Error("another Format gave the cached layer")
	}
	if _, err := Layer(ctx, Options{Layer: layer.Options{Format: f}}); err != nil || cache.Len() != 2 {
		t.Errorf("no Cache: %v, %d cached; want the cache untouched", err, cache.Len())
	}
}

// BenchmarkLayer measures a cached layer against a build.
func BenchmarkLayer(b *testing.B) {
	ctx := context.Background()
	b.Run("cached", func(b *testing.B) {
		cache := new(layer.Cache)
		for b.Loop() {
			if _, err := Layer(ctx, Options{Cache: cache}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			if _, err := Layer(ctx, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
