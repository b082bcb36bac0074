package image_test

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json")

// TestGolden pins the digests of a fixed image and index. A change here
// changes users' digests: it is a breaking change, not a test to update
// casually. image/tarball pins the bytes of their tarballs.
func TestGolden(t *testing.T) {
	img := fixtureImage(t, amd64)
	ix := fixtureIndex(t)
	got := map[string]string{
		"image.digest": img.Digest().String(),
		"image.config": img.ConfigDigest().String(),
		"index.digest": ix.Digest().String(),
	}
	testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update)
}
