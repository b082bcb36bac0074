// Package layertest holds what the tests of the packages that produce
// layers (certs, tzdata, base) check the same way.
package layertest

import (
	"testing"

	"github.com/minimage/minimage/layer"
)

// Pin is what a golden file pins of a layer: its tar stream. The gzip
// digest is left out on purpose; it changes with the compressor, which is
// not the producing package's business.
type Pin struct {
	DiffID             string `json:"diff_id"`
	UncompressedDigest string `json:"uncompressed_digest"`
	TarSize            int64  `json:"tar_size"`
}

// PinOf builds a layer twice with build, at the default compression and
// uncompressed, checks that the first one's diffID is the second one's
// digest, and returns the Pin. name labels failures.
func PinOf(tb testing.TB, name string, build func(layer.Options) (*layer.Layer, error)) Pin {
	tb.Helper()
	l, err := build(layer.Options{})
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	u, err := build(layer.Options{Format: layer.Format{Compression: layer.Uncompressed}})
	if err != nil {
		tb.Fatalf("%s, uncompressed: %v", name, err)
	}
	if l.DiffID() != u.Digest() {
		tb.Errorf("%s: the compressed layer's diffID %s differs from the uncompressed layer's digest %s", name, l.DiffID(), u.Digest())
	}
	return Pin{DiffID: l.DiffID().String(), UncompressedDigest: u.Digest().String(), TarSize: u.Size()}
}
