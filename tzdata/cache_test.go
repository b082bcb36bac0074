package tzdata

import (
	"context"
	"testing"

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
