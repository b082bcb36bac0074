package certs

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
		t.Logf("bundle %s; if go.mod's bundle version changed, run go test -run TestGolden -update", Version())
	}
}
