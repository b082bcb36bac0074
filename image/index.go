package image

import (
	"fmt"
	"maps"
	"slices"

	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Index is an OCI image index: one image per platform. Like Image it is
// immutable and safe for concurrent use.
type Index struct {
	images      []*Image
	annotations map[string]string
}

// NewIndex returns an index of imgs, in the order given. Each image must
// have its own platform (linux/arm64 and linux/arm64/v8 are the same);
// a second image of one platform is an ErrDuplicatePlatform error.
func NewIndex(imgs ...*Image) (*Index, error) {
	if len(imgs) == 0 {
		return nil, fmt.Errorf("image: new index: no images; give one image per platform")
	}
	seen := map[string]int{}
	for i, img := range imgs {
		if img == nil {
			return nil, fmt.Errorf("image: new index: image %d is nil", i)
		}
		k := img.Platform().key()
		if j, ok := seen[k]; ok {
			return nil, fmt.Errorf("image: new index: images %d and %d are both %s: %w; give one image per platform", j, i, k, ErrDuplicatePlatform)
		}
		seen[k] = i
	}
	return &Index{images: slices.Clone(imgs)}, nil
}

// Images returns the index's images, in order. The slice is a copy.
func (ix *Index) Images() []*Image { return slices.Clone(ix.images) }

// Image returns the index's image for p, or nil. An empty p.Variant
// matches any variant.
func (ix *Index) Image(p Platform) *Image {
	for _, img := range ix.images {
		if p.matches(img.Platform()) {
			return img
		}
	}
	return nil
}

// WithAnnotation returns ix with the index annotation k set to v; an empty
// v removes k.
func (ix *Index) WithAnnotation(k, v string) *Index {
	return &Index{images: slices.Clone(ix.images), annotations: setOrDelete(maps.Clone(ix.annotations), k, v)}
}

// Index returns the OCI index: a descriptor with its platform for each
// image.
func (ix *Index) Index() ocispec.Index {
	x := ocispec.Index{
		Versioned:   specsVersion,
		MediaType:   ocispec.MediaTypeImageIndex,
		Manifests:   make([]ocispec.Descriptor, len(ix.images)),
		Annotations: maps.Clone(ix.annotations),
	}
	for i, img := range ix.images {
		x.Manifests[i] = img.Descriptor()
	}
	return x
}

// RawManifest returns the index's JSON bytes, whose digest is Digest.
func (ix *Index) RawManifest() []byte { return mustJSON(ix.Index()) }

// Digest returns the index's digest.
func (ix *Index) Digest() digest.Digest { return digest.FromBytes(ix.RawManifest()) }

// MediaType returns the OCI image index media type.
func (ix *Index) MediaType() string { return ocispec.MediaTypeImageIndex }

// Descriptor returns the index's descriptor.
func (ix *Index) Descriptor() ocispec.Descriptor {
	raw := ix.RawManifest()
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
}

// Artifact is what the writers take: an *Image or an *Index. Only this
// package implements it.
type Artifact interface {
	// MediaType returns the media type of RawManifest.
	MediaType() string
	// Digest returns the digest of RawManifest.
	Digest() digest.Digest
	// Descriptor returns the descriptor of RawManifest.
	Descriptor() ocispec.Descriptor
	// RawManifest returns the manifest or index JSON.
	RawManifest() []byte

	blobs() []blob
	primary() *Image
}

// blob is one blob to write: bytes in memory or a layer.
type blob struct {
	desc  ocispec.Descriptor
	data  []byte
	layer *layer.Layer
}

// blobs returns the image's blobs, layers first, then the config and the
// manifest, so that a blob is written only after those it refers to.
func (img *Image) blobs() []blob {
	var bs []blob
	for _, l := range img.layers {
		bs = append(bs, blob{desc: l.Descriptor(), layer: l})
	}
	cfg := img.RawConfig()
	man := img.RawManifest()
	return append(bs,
		blob{desc: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}, data: cfg},
		blob{desc: ocispec.Descriptor{MediaType: img.MediaType(), Digest: digest.FromBytes(man), Size: int64(len(man))}, data: man})
}

func (img *Image) primary() *Image { return img }

// blobs returns every image's blobs, each digest once, then the index.
func (ix *Index) blobs() []blob {
	var bs []blob
	seen := map[digest.Digest]bool{}
	for _, img := range ix.images {
		for _, b := range img.blobs() {
			if !seen[b.desc.Digest] {
				seen[b.desc.Digest] = true
				bs = append(bs, b)
			}
		}
	}
	raw := ix.RawManifest()
	return append(bs, blob{desc: ocispec.Descriptor{MediaType: ix.MediaType(), Digest: digest.FromBytes(raw), Size: int64(len(raw))}, data: raw})
}

// primary returns the image a docker manifest.json lists: linux/amd64 if
// the index has it, else the first image.
func (ix *Index) primary() *Image {
	if img := ix.Image(Platform{OS: "linux", Architecture: "amd64"}); img != nil {
		return img
	}
	return ix.images[0]
}
