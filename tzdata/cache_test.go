package tzdata

import (
	"context"
	"fmt"
	"testing"

	"github.com/minimage/minimage/layer"
)

func TestLayerCache(t *testing.T) {
	ctx := context.Background()
	cache := new(layer.Cache)
	opts := Options{Zones: []string{"Europe/Paris", "Asia/*"}, Localtime: "Europe/Paris", Cache: cache}
	first, err := Layer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Layer = layer.Options{Blocks: 1, SpillDir: t.TempDir()}
	second, err := Layer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if cache.Len() != 1 || first == second || first.Digest() != second.Digest() {
		t.Fatalf("equal options: %d cached, same pointer %v; want a Share of the one cached layer", cache.Len(), first == second)
	}
	for _, o := range []Options{
		{Zones: []string{"Europe/Paris", "Asia/*"}},
		{Zones: []string{"Europe/Paris", "Asia/*"}, Localtime: "Europe/Paris", Zip: true},
		{Zones: []string{"Europe/Paris"}, Localtime: "Europe/Paris"},
	} {
		n := cache.Len()
		o.Cache = cache
		l, err := Layer(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if cache.Len() != n+1 || l.Digest() == first.Digest() {
			t.Errorf("%+v gave the cached layer of %+v", o, opts)
		}
	}
	if _, err := Layer(ctx, Options{Zones: []string{"Nowhere/Atlantis"}, Cache: cache}); err == nil {
		t.Error("an unknown zone gave a layer")
	}
	n := cache.Len()
	if l, err := Layer(ctx, Options{Zones: opts.Zones, Localtime: opts.Localtime}); err != nil || cache.Len() != n || l.Digest() != first.Digest() {
		t.Errorf("no Cache: %v, %d cached (was %d); want the same layer and the cache untouched", err, cache.Len(), n)
	}
}

// TestLayerCacheSelection keys a layer by the zones selected, not by how
// Zones names them: one set in two orders, with duplicates or through an
// overlapping pattern is one entry of the same bytes, and the digest is
// the one built without a cache.
func TestLayerCacheSelection(t *testing.T) {
	ctx := context.Background()
	for _, zip := range []bool{false, true} {
		t.Run(fmt.Sprintf("zip=%v", zip), func(t *testing.T) {
			cache := new(layer.Cache)
			want, err := Layer(ctx, Options{Zones: []string{"Europe/Paris", "America/New_York", "US/Eastern"}, Zip: zip})
			if err != nil {
				t.Fatal(err)
			}
			for _, zones := range [][]string{
				{"Europe/Paris", "America/New_York", "US/Eastern"},
				{"US/Eastern", "America/New_York", "Europe/Paris"},
				{"Europe/Paris", "US/Eastern", "Europe/Paris", "America/New_York", "US/Eastern"},
				{"Europe/Par*", "Europe/Paris", "America/New_York", "US/Eastern"},
			} {
				l, err := Layer(ctx, Options{Zones: zones, Zip: zip, Cache: cache})
				if err != nil {
					t.Fatal(err)
				}
				if cache.Len() != 1 || l.Digest() != want.Digest() {
					t.Errorf("Zones %q: %d cached, digest %s; want 1 and %s", zones, cache.Len(), l.Digest(), want.Digest())
				}
			}
		})
	}
}

// BenchmarkLayer measures a cached layer against a build, for three zones
// and for all of them.
func BenchmarkLayer(b *testing.B) {
	ctx := context.Background()
	for name, zones := range map[string][]string{"3": {"Europe/Paris", "America/New_York", "Asia/Tokyo"}, "all": {All}} {
		b.Run(fmt.Sprintf("zones=%s/cached", name), func(b *testing.B) {
			cache := new(layer.Cache)
			for b.Loop() {
				if _, err := Layer(ctx, Options{Zones: zones, Cache: cache}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("zones=%s/uncached", name), func(b *testing.B) {
			for b.Loop() {
				if _, err := Layer(ctx, Options{Zones: zones}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
