package base_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/base"
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
	file := filepath.Join("testdata", "golden.json")
	if *update {
		data, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]golden
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for name, g := range got {
		if want[name] != g {
			t.Errorf("%s: got %+v\nwant %+v", name, g, want[name])
		}
	}
}
