package certs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"slices"
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
	cache := new(layer.Cache)
	opts := Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(1700000000, 0)}}, Cache: cache}
	first, err := Layer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	// How the work runs is not part of the key.
	second, err := Layer(ctx, Options{Layer: layer.Options{Format: opts.Layer.Format, Blocks: 1, SpillDir: t.TempDir()}, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing was built. BenchmarkLayer measures the cost.
	if cache.Len() != 1 || second.Digest() != first.Digest() {
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
	if cache.Len() != 1 {
		t.Error("a Release emptied the cache")
	}
	readLayer(t, third)

	other := must(Layer(ctx, Options{Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(1700000001, 0)}}, Cache: cache}))
	if cache.Len() != 2 || other.DiffID() == second.DiffID() {
		t.Error("a different ModTime gave the cached layer")
	}
	// With Progress set, a cached layer reports its sizes once.
	var calls []layer.Progress
	p := must(Layer(ctx, Options{Layer: layer.Options{Format: opts.Layer.Format, Progress: func(p layer.Progress) { calls = append(calls, p) }}, Cache: cache}))
	if cache.Len() != 2 || len(calls) != 1 || calls[0].Out != p.Size() || calls[0].In != p.TarSize() {
		t.Errorf("with Progress set: %d cached, progress calls %+v; want 2 and one call with the sizes", cache.Len(), calls)
	}
	if p.Digest() != second.Digest() {
		t.Error("the same options gave another digest")
	}
	// Without a Cache, nothing is cached.
	if l := must(Layer(ctx, Options{Layer: opts.Layer})); cache.Len() != 2 || l.Digest() != first.Digest() {
		t.Errorf("no Cache: %d cached, digest %s; want the cache untouched and %s", cache.Len(), l.Digest(), first.Digest())
	}
}

// TestLayerCacheExtra keys a bundle by the certificates ExtraPEM adds:
// ExtraPEM texts that give one file share one entry, and ones that give
// two files do not.
func TestLayerCacheExtra(t *testing.T) {
	ctx := context.Background()
	ca1 := newCert(t, "Example Root CA", true, true)
	ca2 := newCert(t, "Other Root CA", true, true)
	for _, tc := range []struct {
		name    string
		a, b    []byte
		entries int
	}{
		{"equal-bytes", ca1, bytes.Clone(ca1), 1},
		{"text-between-blocks", ca1, slices.Concat([]byte("# our root\n"), ca1, []byte("\n")), 1},
		{"duplicate", ca1, slices.Concat(ca1, ca1), 1},
		{"two-orders", slices.Concat(ca1, ca2), slices.Concat(ca2, ca1), 2},
		{"another-cert", ca1, ca2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := new(layer.Cache)
			a := must(Layer(ctx, Options{ExtraPEM: tc.a, Cache: cache}))
			b := must(Layer(ctx, Options{ExtraPEM: tc.b, Cache: cache}))
			fa := must(File(Options{ExtraPEM: tc.a}))
			fb := must(File(Options{ExtraPEM: tc.b}))
			if cache.Len() != tc.entries || (a.Digest() == b.Digest()) != bytes.Equal(fa, fb) {
				t.Errorf("%d cached, equal digests %v, equal files %v; want %d cached, and equal digests for equal files", cache.Len(), a.Digest() == b.Digest(), bytes.Equal(fa, fb), tc.entries)
			}
		})
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
		cache := new(layer.Cache)
		for b.Loop() {
			if _, err := Layer(ctx, Options{Cache: cache}); err != nil {
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
