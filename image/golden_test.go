package image_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
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
	path := filepath.Join("testdata", "golden.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var want map[string]string
	if err := json.Unmarshal(mustRead(t, path), &want); err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	if len(want) != len(got) {
		t.Errorf("golden.json has %d values, the test %d; run go test -run TestGolden -update", len(want), len(got))
	}
}
