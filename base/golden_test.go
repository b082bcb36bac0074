package base_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/base"
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

// TestGolden pins the base layer. A change to the files is a change to
// every image's digest: make it on purpose, run go test ./base -run
// TestGolden -update, and say so in the commit.
func TestGolden(t *testing.T) {
	ctx := context.Background()
	l := must(base.Layer(ctx, base.Options{}))
	u := must(base.Layer(ctx, base.Options{Layer: layer.Options{Compression: layer.Uncompressed}}))
	got := map[string]golden{"default": {DiffID: l.DiffID().String(), UncompressedDigest: u.Digest().String(), TarSize: u.Size()}}
	if l.DiffID() != u.Digest() {
		t.Errorf("gzip layer's diffID %s differs from the uncompressed layer's digest %s", l.DiffID(), u.Digest())
	}
	testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update)
}
