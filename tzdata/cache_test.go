package tzdata

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/minimage/minimage/layer"
)

func TestLayerCache(t *testing.T) {
	ctx := context.Background()
	opts := Options{Zones: []string{"Europe/Paris", "Asia/*"}, Localtime: "Europe/Paris"}
	first, err := Layer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	built := cache.Builds()
	opts.Layer = layer.Options{Blocks: 1, SpillDir: t.TempDir()}
	second, err := Layer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if cache.Builds() != built || first == second || first.Digest() != second.Digest() {
		t.Fatalf("equal options: %d builds, same pointer %v; want a Share of the cached layer", cache.Builds()-built, first == second)
	}
	for _, o := range []Options{
		{Zones: []string{"Europe/Paris", "Asia/*"}},
		{Zones: []string{"Europe/Paris", "Asia/*"}, Localtime: "Europe/Paris", Zip: true},
		{Zones: []string{"Europe/Paris"}, Localtime: "Europe/Paris"},
	} {
		built := cache.Builds()
		l, err := Layer(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if cache.Builds() == built || l.Digest() == first.Digest() {
			t.Errorf("%+v gave the cached layer of %+v", o, opts)
		}
	}
	if _, err := Layer(ctx, Options{Zones: []string{"Nowhere/Atlantis"}}); err == nil {
		t.Error("an unknown zone gave a layer")
	}
}

// BenchmarkLayer measures a cached layer against a build, for three zones
// and for all of them.
func BenchmarkLayer(b *testing.B) {
	ctx := context.Background()
	for name, zones := range map[string][]string{"3": {"Europe/Paris", "America/New_York", "Asia/Tokyo"}, "all": {All}} {
		b.Run(fmt.Sprintf("zones=%s/cached", name), func(b *testing.B) {
			for b.Loop() {
				if _, err := Layer(ctx, Options{Zones: zones}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("zones=%s/uncached", name), func(b *testing.B) {
			var i int64
			for b.Loop() {
				i++
				if _, err := Layer(ctx, Options{Zones: zones, Layer: layer.Options{Format: layer.Format{ModTime: time.Unix(i, 0)}}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
