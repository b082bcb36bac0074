package image_test

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json")

// TestGolden pins the digests of a fixed image and index, and the bytes of
// their tarballs. A change here changes users' digests: it is a breaking
// change, not a test to update casually.
func TestGolden(t *testing.T) {
	img := fixture(t, amd64)
	ix := fixtureIndex(t)
	sum := func(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }
	got := map[string]string{
		"image.digest":        img.Digest().String(),
		"image.config":        img.ConfigDigest().String(),
		"index.digest":        ix.Digest().String(),
		"image.tarball":       sum(tarball(t, img, "app:v1")),
		"index.tarball":       sum(tarball(t, ix, "app:v1")),
		"image.tarball.notag": sum(tarball(t, img)),
	}
	testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update)
}
