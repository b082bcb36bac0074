package tzdata

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the current code")

// golden pins a layer's tar stream. The gzip digest is left out on purpose:
// it changes with the compressor, which is not this package's business.
type golden struct {
	DiffID             string `json:"diff_id"`
	UncompressedDigest string `json:"uncompressed_digest"`
	TarSize            int64  `json:"tar_size"`
}

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
	got := make(map[string]golden)
	for name, opts := range cases {
		l := must(Layer(ctx, opts))
		opts.Layer.Compression = layer.Uncompressed
		u := must(Layer(ctx, opts))
		got[name] = golden{DiffID: l.DiffID().String(), UncompressedDigest: u.Digest().String(), TarSize: u.Size()}
		if l.DiffID() != u.Digest() {
			t.Errorf("%s: gzip layer's diffID %s differs from the uncompressed layer's digest %s", name, l.DiffID(), u.Digest())
		}
	}
	if !testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update) {
		t.Logf("release %s; if go generate took a new release, run go test ./tzdata -run TestGolden -update", Release)
	}
}
