package base_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/internal/layertest"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the current code")

// TestGolden pins the base layer. A change to the files is a change to
// every image's digest: make it on purpose, run go test ./base -run
// TestGolden -update, and say so in the commit.
func TestGolden(t *testing.T) {
	pin := layertest.PinOf(t, "default", func(lo layer.Options) (*layer.Layer, error) {
		return base.Layer(context.Background(), base.Options{Layer: lo})
	})
	got := map[string]layertest.Pin{"default": pin}
	testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update)
}
