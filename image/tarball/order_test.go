package tarball_test

import (
	"slices"
	"testing"

	"github.com/minimage/minimage/image/tarball"
)

// checkOrder checks that names, a tarball's entries, come in the order
// Write documents: oci-layout, blobs/, blobs/sha256/, the layers of
// items' images in order (each once, bottom first), the other blobs, and
// index.json and manifest.json last; every blob once.
func checkOrder(t *testing.T, names []string, items []tarball.Named) {
	t.Helper()
	var layers []string
	all := map[string]bool{}
	for _, it := range items {
		for _, img := range it.Artifact.Images() {
			for _, l := range img.Layers() {
				p := "blobs/sha256/" + l.Digest().Encoded()
				if !slices.Contains(layers, p) {
					layers = append(layers, p)
				}
			}
		}
		for _, b := range it.Artifact.Blobs() {
			all["blobs/sha256/"+b.Descriptor.Digest.Encoded()] = true
		}
	}
	n := len(names)
	if n < 5+len(all) || !slices.Equal(names[:3], []string{"oci-layout", "blobs/", "blobs/sha256/"}) || !slices.Equal(names[n-2:], []string{"index.json", "manifest.json"}) {
		t.Fatalf("entries %q: want oci-layout, blobs/, blobs/sha256/ first, index.json and manifest.json last", names)
	}
	blobs := names[3 : n-2]
	if len(blobs) != len(all) {
		t.Errorf("%d blob entries, want %d: %q", len(blobs), len(all), blobs)
	}
	if !slices.Equal(blobs[:min(len(layers), len(blobs))], layers) {
		t.Errorf("blob entries start %q, want the layers in image order %q", blobs, layers)
	}
	for _, b := range blobs {
		if !all[b] {
			t.Errorf("entry %s is none of the artifacts' blobs", b)
		}
		delete(all, b)
	}
}
