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
	f := layer.Format{ModTime: time.Unix(1234, 0)}
	first, err := Layer(ctx, Options{Layer: layer.Options{Format: f}})
	if err != nil {
		t.Fatal(err)
	}
	built := cache.Builds()
	var calls int
	second, err := Layer(ctx, Options{Layer: layer.Options{Format: f, Blocks: 1, Progress: func(layer.Progress) { calls++ }}})
	if err != nil {
		t.Fatal(err)
	}
	if cache.Builds() != built || first == second || first.Digest() != second.Digest() || calls != 1 {
		t.Fatalf("second call: %d builds, same pointer %v, %d progress calls; want a Share of the cached layer and one call", cache.Builds()-built, first == second, calls)
	}
	first.Release()
	rc, err := second.Compressed(ctx)
	if err != nil {
		t.Fatal("one caller's Release took another's bytes:", err)
	}
	io.Copy(io.Discard, rc)
	rc.Close()
	other, _ := Layer(ctx, Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(1235, 0)}}})
	if cache.Builds() == built || other.DiffID() == second.DiffID() {
		t.Error("another Format gave the cached layer")
	}
}

// BenchmarkLayer measures a cached layer against a build.
func BenchmarkLayer(b *testing.B) {
	ctx := context.Background()
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := Layer(ctx, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		// A new time each round misses the cache: the cost of a build.
		var i int64
		for b.Loop() {
			i++
			if _, err := Layer(ctx, Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(i, 0)}}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
