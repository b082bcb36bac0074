package tarball_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image/imagetest"
)

// Read reads the tarballs written before the entries took the layers'
// order (issue 27, item 2): all entries sorted by name. The old bytes are
// rebuilt from the new ones and checked against the old golden digest.
func TestReadSortedOrder(t *testing.T) {
	img := imagetest.Fixture(t, amd64)
	names, files := untar(t, tarBytes(t, img, "app:v1"))
	slices.Sort(names)
	var old bytes.Buffer
	tw := tar.NewWriter(&old)
	for _, n := range names {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(files[n])), ModTime: time.Unix(0, 0)}
		if strings.HasSuffix(n, "/") {
			h = &tar.Header{Typeflag: tar.TypeDir, Name: n, Mode: 0o755, ModTime: time.Unix(0, 0)}
		}
		tw.WriteHeader(h)
		tw.Write(files[n])
	}
	tw.Close()
	sum := sha256.Sum256(old.Bytes())
	// testdata/golden.json's image.tarball before the change.
	if got := hex.EncodeToString(sum[:]); got != "caf450d5713e7fb337b5abf4e2575c3f5b7c712df9f72976670f72cad72e7b1d" {
		t.Fatalf("the rebuilt sorted tarball has digest %s, not the old golden one", got)
	}
	got, err := readTarballImage(t, old.Bytes(), "app:v1", amd64)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != img.Digest() {
		t.Errorf("read %s, want %s", got.Digest(), img.Digest())
	}
	for _, l := range got.Layers() {
		rc, err := l.Uncompressed(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			t.Errorf("layer %s: %v", l.Digest(), err)
		}
	}
}
