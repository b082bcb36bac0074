package layout

import (
	"context"
	"fmt"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Referrers returns the manifests the layout lists whose subject is a
// (its manifest or, for an index, one of its children's), in index
// order: the SBOMs and signatures "minimage build --sbom-referrer",
// oras attach or another tool added beside a, what oras discover
// --oci-layout shows. A layout that holds none gives none.
func (l *Layout) Referrers(ctx context.Context, a image.Artifact) ([]image.Artifact, error) {
	subjects := map[digest.Digest]bool{a.Digest(): true}
	if ix, ok := a.(*image.Index); ok {
		for _, c := range ix.Manifests() {
			subjects[c.Digest()] = true
		}
	}
	var out []image.Artifact
	seen := map[digest.Digest]bool{}
	for _, d := range l.index.Manifests {
		if subjects[d.Digest] || seen[d.Digest] || !mediatype.IsManifest(d.MediaType) {
			continue
		}
		seen[d.Digest] = true
		r, err := image.Load(ctx, l, d)
		if err != nil {
			return nil, fmt.Errorf("layout: %s: %w", l.name, err)
		}
		var s *ocispec.Descriptor
		switch r := r.(type) {
		case *image.Manifest:
			s = r.Subject()
		case *image.Image:
			s = r.Subject()
		}
		if s != nil && subjects[s.Digest] {
			out = append(out, r)
		}
	}
	return out, nil
}
