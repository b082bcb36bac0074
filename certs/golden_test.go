package certs

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/internal/layertest"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the current code")

// TestGolden pins the default layer. It changes only when the bundle
// version in go.mod changes (then run go test -run TestGolden -update and
// say so in the commit) or when a default of package layer changes, which
// is a breaking change.
func TestGolden(t *testing.T) {
	ctx := context.Background()
	cases := map[string]Options{
		"default":             {},
		"include_constrained": {IncludeConstrained: true},
	}
	got := make(map[string]layertest.Pin)
	for name, opts := range cases {
		got[name] = layertest.PinOf(t, name, func(lo layer.Options) (*layer.Layer, error) {
			opts.Layer = lo
			return Layer(ctx, opts)
		})
	}
	if !testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update) {
		t.Logf("bundle %s; if go.mod's bundle version changed, run go test -run TestGolden -update", Version())
	}
}
