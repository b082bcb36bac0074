package layout_test

import (
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
)

// Referrers gives the manifests whose subject is the image or a child of
// the index, and neither another entry nor a referrer of another image.
func TestReferrers(t *testing.T) {
	img := imagetest.Image(t, imagetest.Spec{Seed: 1})
	other := imagetest.Image(t, imagetest.Spec{Seed: 2})
	ix, err := image.NewIndex(img)
	if err != nil {
		t.Fatal(err)
	}
	sbom := func(subject image.Artifact) *image.Manifest {
		d := subject.Descriptor()
		m, err := image.NewManifest("application/spdx+json", []image.Blob{image.BlobFromBytes("application/spdx+json", []byte(subject.Digest()))}, &d, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	mine, theirs := sbom(img), sbom(other)
	dir := imagetest.WriteLayout(t, ix, "v1")
	for _, a := range []image.Artifact{other, mine, theirs} {
		if err := layout.Write(t.Context(), dir, a, layout.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []image.Artifact{ix, img} {
		refs, err := l.Referrers(t.Context(), a)
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 1 || refs[0].Digest() != mine.Digest() {
			t.Errorf("Referrers(%s) = %d artifacts, want the one SBOM %s", a.MediaType(), len(refs), mine.Digest())
		}
	}
	if refs, err := l.Referrers(t.Context(), imagetest.Image(t, imagetest.Spec{Seed: 3})); err != nil || len(refs) != 0 {
		t.Errorf("Referrers of an image not in the layout: %d, %v; want none", len(refs), err)
	}
}
