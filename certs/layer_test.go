package certs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

func TestLayer(t *testing.T) {
	ctx := context.Background()
	extra := newCert(t, "Example Root CA", true, true)
	for _, opts := range []Options{
		{},
		{IncludeConstrained: true},
		{ExtraPEM: extra, Layer: layer.Options{Format: layer.Format{Compression: layer.Uncompressed}}},
	} {
		l, err := Layer(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := must(File(opts))
		var file *testenv.Entry
		for _, e := range readLayer(t, l) {
			switch e.Header.Name {
			case "etc/", "etc/ssl/", "etc/ssl/certs/":
				if e.Header.Typeflag != tar.TypeDir || e.Header.Mode != 0o755 {
					t.Errorf("%s: type %c mode %o, want a 0755 directory", e.Header.Name, e.Header.Typeflag, e.Header.Mode)
				}
			case Path[1:]:
				file = &e
			default:
				t.Errorf("unexpected entry %s", e.Header.Name)
			}
		}
		if file == nil {
			t.Fatalf("no %s in the layer", Path)
		}
		if h := file.Header; h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Typeflag != tar.TypeReg {
			t.Errorf("%s: type %c mode %o owner %d:%d, want a 0644 file owned by 0:0", Path, h.Typeflag, h.Mode, h.Uid, h.Gid)
		}
		if !bytes.Equal(file.Body, want) {
			t.Errorf("%+v: the layer's file differs from File", opts)
		}
	}
}

func TestLayerErrors(t *testing.T) {
	_, err := Layer(context.Background(), Options{ExtraPEM: []byte("junk")})
	if !errors.Is(err, ErrMalformedPEM) {
		t.Errorf("bad ExtraPEM: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Layer(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestLayerCache(t *testing.T) {
	ctx := context.Background()
	opts := Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(1700000000, 0)}}}
	first, err := Layer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	built := cache.Builds()
	// How the work runs is not part of the key.
	second, err := Layer(ctx, Options{Layer: layer.Options{Format: opts.Layer.Format, Blocks: 1, SpillDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing was built. BenchmarkLayer measures the cost.
	if cache.Builds() != built || second.Digest() != first.Digest() {
		t.Error("the second call built the layer again")
	}
	// Each caller gets its own Share: releasing one leaves the others,
	// and the cache, their bytes.
	if first == second {
		t.Error("two callers got the same *layer.Layer; a Release by one would take the other's bytes")
	}
	first.Release()
	if got := readLayer(t, second); len(got) == 0 {
		t.Error("a cached layer lost its bytes when another caller released its own")
	}
	third := must(Layer(ctx, opts))
	if cache.Builds() != built {
		t.Error("a Release emptied the cache")
	}
	readLayer(t, third)

	// Equal content in a different slice is the same key.
	extra := newCert(t, "Example Root CA", true, true)
	a := must(Layer(ctx, Options{ExtraPEM: extra}))
	built = cache.Builds()
	b := must(Layer(ctx, Options{ExtraPEM: bytes.Clone(extra)}))
	if cache.Builds() != built || a.Digest() != b.Digest() {
		t.Error("ExtraPEM with equal bytes missed the cache")
	}

	built = cache.Builds()
	other := must(Layer(ctx, Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(1700000001, 0)}}}))
	if cache.Builds() == built || other.DiffID() == second.DiffID() {
		t.Error("a different ModTime gave the cached layer")
	}
	// With Progress set, a cached layer reports its sizes once.
	var calls []layer.Progress
	built = cache.Builds()
	p := must(Layer(ctx, Options{Layer: layer.Options{Format: opts.Layer.Format, Progress: func(p layer.Progress) { calls = append(calls, p) }}}))
	if cache.Builds() != built || len(calls) != 1 || calls[0].Out != p.Size() || calls[0].In != p.TarSize() {
		t.Errorf("with Progress set: %d builds, progress calls %+v; want none and one with the sizes", cache.Builds()-built, calls)
	}
	if p.Digest() != second.Digest() {
		t.Error("the same options gave another digest")
	}
}

func TestLayerConcurrent(t *testing.T) {
	opts := Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(42, 0)}}}
	var wg sync.WaitGroup
	ls := make([]*layer.Layer, 8)
	for i := range ls {
		wg.Go(func() {
			l, err := Layer(context.Background(), opts)
			if err != nil {
				t.Error(err)
			}
			ls[i] = l
			l.Release() // each caller's own
		})
	}
	wg.Wait()
	for _, l := range ls[1:] {
		if l.Digest() != ls[0].Digest() {
			t.Fatal("concurrent calls returned different layers")
		}
	}
	readLayer(t, must(Layer(context.Background(), opts)))
}

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
		// A new time each round misses the cache: the cost of a real build.
		var i int64
		for b.Loop() {
			i++
			opts := Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(i, 0)}}}
			if _, err := Layer(ctx, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
