package image

import (
	"fmt"
	"maps"
	"slices"

	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Index is an image index: one image per platform, and maybe other
// manifests (attestations, SBOMs) or nested indexes. Like Image it is
// immutable and safe for concurrent use. An index read from a layout,
// tarball or registry keeps its stored bytes, and so its digest, until it
// is changed.
type Index struct {
	entries     []entry
	annotations map[string]string

	// raw and stored are the bytes of an index read as stored
	// (IndexFromRaw), those bytes parsed, and their digest, hashed once;
	// every change drops them.
	raw    []byte
	stored *ocispec.Index
	dgst   digest.Digest
}

// entry is one manifest an index lists, with the descriptor it lists it
// under (platform and annotations included).
type entry struct {
	a    Artifact
	desc ocispec.Descriptor
}

// NewIndex returns an index of imgs, in the order given. Each image must
// have its own platform (linux/arm64 and linux/arm64/v8 are the same);
// a second image of one platform is an ErrDuplicatePlatform error.
func NewIndex(imgs ...*Image) (*Index, error) {
	if len(imgs) == 0 {
		return nil, fmt.Errorf("image: new index: no images; give one image per platform")
	}
	seen := map[string]int{}
	ix := &Index{}
	for i, img := range imgs {
		if img == nil {
			return nil, fmt.Errorf("image: new index: image %d is nil", i)
		}
		k := img.Platform().key()
		if j, ok := seen[k]; ok {
			return nil, fmt.Errorf("image: new index: images %d and %d are both %s: %w; give one image per platform", j, i, k, ErrDuplicatePlatform)
		}
		seen[k] = i
		ix.entries = append(ix.entries, entry{a: img, desc: img.Descriptor()})
	}
	return ix, nil
}

// IndexFromRaw returns the index that raw describes, with children as the
// manifests it lists, in order, keeping raw exactly (it is copied): its
// Digest and media type are the stored ones until it is changed. It is how
// a transport makes an index it has read; Load calls it. Each child's
// digest must be the one its descriptor lists (layer.ErrDigestMismatch).
func IndexFromRaw(raw []byte, children []Artifact) (*Index, error) {
	dg := digest.FromBytes(raw)
	idx, err := parseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("image: index %s: %w", dg, err)
	}
	if len(idx.Manifests) != len(children) {
		return nil, fmt.Errorf("image: index %s: %w: it lists %d manifests, %d given", dg, ErrCorrupt, len(idx.Manifests), len(children))
	}
	ix := &Index{raw: slices.Clone(raw), stored: &idx, dgst: dg, annotations: idx.Annotations}
	for i, d := range idx.Manifests {
		c := children[i]
		if c == nil || c.Digest() != d.Digest {
			return nil, fmt.Errorf("image: index %s: manifests[%d]: %w: it lists %s", dg, i, layer.ErrDigestMismatch, d.Digest)
		}
		ix.entries = append(ix.entries, entry{a: c, desc: d})
	}
	return ix, nil
}

// Manifests returns what the index lists, in order: *Image, *Index or
// *Manifest values.
func (ix *Index) Manifests() []Artifact {
	out := make([]Artifact, len(ix.entries))
	for i, e := range ix.entries {
		out[i] = e.a
	}
	return out
}

// Images returns the index's images, in order, those of nested indexes
// included, each digest once; other manifests (attestations, SBOMs) are
// left out.
func (ix *Index) Images() []*Image {
	var out []*Image
	ix.walk(map[digest.Digest]bool{}, func(a Artifact) {
		if img, ok := a.(*Image); ok {
			out = append(out, img)
		}
	})
	return out
}

// walk calls f on each manifest the index reaches, nested indexes
// searched (before f sees them), each digest once however often it is
// listed: an index listing another thousands of times costs no more than
// listing it once.
func (ix *Index) walk(seen map[digest.Digest]bool, f func(Artifact)) {
	for _, e := range ix.entries {
		d := e.desc.Digest
		if seen[d] {
			continue
		}
		seen[d] = true
		if sub, ok := e.a.(*Index); ok {
			sub.walk(seen, f)
		}
		f(e.a)
	}
}

// Image returns the index's image for p, or nil. An empty p.Variant
// matches any variant. The platform an entry is listed under counts, and
// where it lists none, the image's config's.
func (ix *Index) Image(p Platform) *Image {
	var found *Image
	platformOf := map[digest.Digest]*ocispec.Platform{}
	for _, e := range ix.entries {
		platformOf[e.desc.Digest] = e.desc.Platform
	}
	ix.walk(map[digest.Digest]bool{}, func(a Artifact) {
		img, ok := a.(*Image)
		if !ok || found != nil {
			return
		}
		q := img.Platform()
		if dp := platformOf[img.Digest()]; dp != nil {
			q = Platform{OS: dp.OS, Architecture: dp.Architecture, Variant: dp.Variant}
		}
		if p.Matches(q) {
			found = img
		}
	})
	return found
}

// Platforms returns the platforms of the index's images, in order.
func (ix *Index) Platforms() []Platform {
	var out []Platform
	for _, img := range ix.Images() {
		out = append(out, img.Platform())
	}
	return out
}

// Annotations returns a copy of the index's annotations.
func (ix *Index) Annotations() map[string]string { return maps.Clone(ix.annotations) }

// WithAnnotation returns ix with the index annotation k set to v; an empty
// v removes k.
func (ix *Index) WithAnnotation(k, v string) *Index {
	n := ix.clone()
	n.annotations = setOrDelete(n.annotations, k, v)
	return n
}

// WithArtifact returns ix with a added at the end, listed under its
// descriptor with annotations (copied) added to it: an attestation or
// SBOM manifest, say, or an image of a platform the index lacks.
func (ix *Index) WithArtifact(a Artifact, annotations map[string]string) *Index {
	n := ix.clone()
	d := a.Descriptor()
	if len(annotations) > 0 {
		d.Annotations = maps.Clone(annotations)
	}
	n.entries = append(n.entries, entry{a: a, desc: d})
	return n
}

// Index returns the OCI index: a descriptor for each manifest, with the
// platform of each image.
func (ix *Index) Index() ocispec.Index {
	if ix.stored != nil {
		// A deep copy of what was parsed: parsing the stored bytes
		// again would cost as much as reading them, per call.
		x := *ix.stored
		x.Subject = cloneDescriptor(x.Subject)
		x.Annotations = maps.Clone(x.Annotations)
		x.Manifests = slices.Clone(x.Manifests)
		for i := range x.Manifests {
			x.Manifests[i] = *cloneDescriptor(&x.Manifests[i])
		}
		return x
	}
	x := ocispec.Index{
		Versioned:   specsVersion,
		MediaType:   ocispec.MediaTypeImageIndex,
		Manifests:   make([]ocispec.Descriptor, len(ix.entries)),
		Annotations: maps.Clone(ix.annotations),
	}
	for i, e := range ix.entries {
		x.Manifests[i] = *cloneDescriptor(&e.desc)
	}
	return x
}

// RawManifest returns the index's JSON bytes, whose digest is Digest.
func (ix *Index) RawManifest() []byte {
	if ix.raw != nil {
		return slices.Clone(ix.raw)
	}
	return mustJSON(ix.Index())
}

// Digest returns the index's digest.
func (ix *Index) Digest() digest.Digest {
	if ix.raw != nil {
		return ix.dgst
	}
	return digest.FromBytes(ix.RawManifest())
}

// MediaType returns the index's media type: OCI's image index, or for an
// index read as stored, the stored one (such as Docker's manifest list).
func (ix *Index) MediaType() string {
	if ix.stored != nil && ix.stored.MediaType != "" {
		return ix.stored.MediaType
	}
	return ocispec.MediaTypeImageIndex
}

// Descriptor returns the index's descriptor.
func (ix *Index) Descriptor() ocispec.Descriptor {
	return ix.blob().Descriptor
}

// blob returns the index's own blob; that of a stored index shares its
// bytes, which are never changed.
func (ix *Index) blob() Blob {
	if ix.raw != nil {
		return Blob{Descriptor: ocispec.Descriptor{MediaType: ix.MediaType(), Digest: ix.dgst, Size: int64(len(ix.raw))}, data: ix.raw}
	}
	return BlobFromBytes(ix.MediaType(), ix.RawManifest())
}

// Blobs returns every blob the index's manifests reach, each digest once,
// each manifest after its blobs, then the index itself.
func (ix *Index) Blobs() []Blob {
	var bs []Blob
	seen := map[digest.Digest]bool{}
	ix.walk(map[digest.Digest]bool{}, func(a Artifact) {
		var own []Blob
		if sub, ok := a.(*Index); ok {
			// Its manifests' blobs are already in bs.
			own = []Blob{sub.blob()}
		} else {
			own = a.Blobs()
		}
		for _, b := range own {
			if !seen[b.Descriptor.Digest] {
				seen[b.Descriptor.Digest] = true
				bs = append(bs, b)
			}
		}
	})
	return append(bs, ix.blob())
}

// clone returns a copy of ix without the stored bytes.
func (ix *Index) clone() *Index {
	n := &Index{entries: slices.Clone(ix.entries), annotations: maps.Clone(ix.annotations)}
	if ix.stored != nil {
		// A changed index is an OCI index: keep what the stored one
		// said of each manifest, but not its media type.
		n.annotations = maps.Clone(ix.stored.Annotations)
	}
	return n
}
