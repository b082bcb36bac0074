package tzdata

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

// TestGolden pins layers of the embedded release. It changes when go
// generate takes a new release (then run go test ./tzdata -run TestGolden
// -update and say so in the commit) or when a default of package layer
// changes, which is a breaking change.
func TestGolden(t *testing.T) {
	zip := subset
	zip.Zip = true
	cases := map[string]Options{
		"subset":     subset,
		"subset_zip": zip,
		"europe":     {Zones: []string{"Europe/*"}},
		"all":        {Zones: []string{"all"}},
	}
	ctx := context.Background()
	got := make(map[string]layertest.Pin)
	for name, opts := range cases {
		got[name] = layertest.PinOf(t, name, func(lo layer.Options) (*layer.Layer, error) {
			opts.Layer = lo
			return Layer(ctx, opts)
		})
	}
	if !testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update) {
		t.Logf("release %s; if go generate took a new release, run go test ./tzdata -run TestGolden -update", Release)
	}
}
