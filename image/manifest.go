package image

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Manifest is a manifest that is not a container image: an artifact such
// as an SBOM or signature (OCI 1.1: an artifactType, often the empty
// config, often a subject), or a manifest read from a layout or registry
// whose config or layers this package does not run (a buildx in-toto
// attestation, say). It is immutable and safe for concurrent use; one
// read as stored keeps its bytes.
type Manifest struct {
	raw   []byte
	dgst  digest.Digest // raw's, hashed once
	m     ocispec.Manifest
	blobs []Blob // the config, then the layers, as the manifest lists them
}

// Images returns nil: a Manifest is not an image.
func (a *Manifest) Images() []*Image { return nil }

// NewManifest returns an OCI artifact manifest of type artifactType
// (a media type, such as "application/spdx+json") that carries blobs as
// its layers, with the empty config (application/vnd.oci.empty.v1+json),
// subject as the manifest it refers to (nil for none) and annotations
// (copied). It is how an SBOM is attached to an image as a referrer.
func NewManifest(artifactType string, blobs []Blob, subject *ocispec.Descriptor, annotations map[string]string) (*Manifest, error) {
	if artifactType == "" {
		return nil, fmt.Errorf("image: new manifest: no artifact type; give a media type such as application/spdx+json")
	}
	if len(blobs) == 0 {
		return nil, fmt.Errorf("image: new manifest %s: no blobs; give at least one", artifactType)
	}
	empty := BlobFromBytes(ocispec.MediaTypeEmptyJSON, []byte("{}"))
	m := ocispec.Manifest{
		Versioned:    specsVersion,
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType,
		Config:       empty.Descriptor,
		Annotations:  maps.Clone(annotations),
	}
	if subject != nil {
		m.Subject = &ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size, ArtifactType: subject.ArtifactType}
	}
	all := []Blob{empty}
	for i, b := range blobs {
		if err := checkDescriptor(b.Descriptor); err != nil {
			return nil, fmt.Errorf("image: new manifest %s: blob %d: %w", artifactType, i, err)
		}
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: b.Descriptor.MediaType, Digest: b.Descriptor.Digest, Size: b.Descriptor.Size, Annotations: maps.Clone(b.Descriptor.Annotations)})
		all = append(all, b)
	}
	raw := mustJSON(m)
	return &Manifest{raw: raw, dgst: digest.FromBytes(raw), m: m, blobs: all}, nil
}

// ManifestFromRaw returns the manifest raw describes, with blobs as its
// config and layers, in the order it lists them, keeping raw exactly (it
// is copied): its Digest and media type are the stored ones. It is how a
// transport, or a format such as cosign's signatures whose manifests must
// have given bytes, makes a Manifest of its own; Load reads manifests
// whose config it does not run this way. Each blob's digest and size must
// be those its descriptor lists (layer.ErrDigestMismatch).
func ManifestFromRaw(raw []byte, blobs []Blob) (*Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.SchemaVersion != 2 {
		return nil, fmt.Errorf("image: manifest %s: %w: not an image manifest (schemaVersion 2)", digest.FromBytes(raw), ErrCorrupt)
	}
	want := append([]ocispec.Descriptor{m.Config}, m.Layers...)
	if len(blobs) != len(want) {
		return nil, fmt.Errorf("image: manifest %s: %w: it lists a config and %d layers, %d blobs given", digest.FromBytes(raw), ErrCorrupt, len(m.Layers), len(blobs))
	}
	for i, d := range want {
		if b := blobs[i].Descriptor; b.Digest != d.Digest || b.Size != d.Size {
			return nil, fmt.Errorf("image: manifest %s: blob %d is %s (%d bytes): %w: it lists %s (%d bytes)", digest.FromBytes(raw), i, b.Digest, b.Size, layer.ErrDigestMismatch, d.Digest, d.Size)
		}
	}
	return &Manifest{raw: slices.Clone(raw), dgst: digest.FromBytes(raw), m: m, blobs: slices.Clone(blobs)}, nil
}

// manifestFromRaw returns the manifest raw, as stored, whose config and
// layers f reads on demand.
func manifestFromRaw(raw []byte, m ocispec.Manifest, f Fetcher) *Manifest {
	bs := []Blob{blobFromFetcher(f, m.Config)}
	for _, d := range m.Layers {
		bs = append(bs, blobFromFetcher(f, d))
	}
	return &Manifest{raw: slices.Clone(raw), dgst: digest.FromBytes(raw), m: m, blobs: bs}
}

// ArtifactType returns the manifest's artifactType, or when it has none,
// its config's media type, as OCI 1.1 defines an artifact's type.
func (a *Manifest) ArtifactType() string {
	if a.m.ArtifactType != "" {
		return a.m.ArtifactType
	}
	return a.m.Config.MediaType
}

// Subject returns the descriptor of the manifest a refers to, or nil.
func (a *Manifest) Subject() *ocispec.Descriptor { return cloneDescriptor(a.m.Subject) }

// Manifest returns a copy of the parsed manifest.
func (a *Manifest) Manifest() ocispec.Manifest {
	var m ocispec.Manifest
	mustUnmarshal(a.raw, &m)
	return m
}

// MediaType returns the manifest's media type.
func (a *Manifest) MediaType() string {
	if a.m.MediaType != "" {
		return a.m.MediaType
	}
	return ocispec.MediaTypeImageManifest
}

// RawManifest returns the manifest's JSON bytes.
func (a *Manifest) RawManifest() []byte { return slices.Clone(a.raw) }

// Digest returns the manifest's digest.
func (a *Manifest) Digest() digest.Digest { return a.dgst }

// Descriptor returns the manifest's descriptor, with its artifactType.
func (a *Manifest) Descriptor() ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: a.MediaType(), Digest: a.Digest(), Size: int64(len(a.raw)), ArtifactType: a.m.ArtifactType}
}

// Blobs returns the config, the layers (each digest once) and the
// manifest.
func (a *Manifest) Blobs() []Blob {
	var bs []Blob
	seen := map[digest.Digest]bool{}
	for _, b := range a.blobs {
		if !seen[b.Descriptor.Digest] {
			seen[b.Descriptor.Digest] = true
			bs = append(bs, b)
		}
	}
	own := Blob{Descriptor: ocispec.Descriptor{MediaType: a.MediaType(), Digest: a.dgst, Size: int64(len(a.raw))}, data: a.raw}
	return append(bs, own)
}

// mustUnmarshal decodes bytes that already decoded once.
func mustUnmarshal(b []byte, v any) {
	if err := json.Unmarshal(b, v); err != nil {
		panic("image: decode JSON that decoded before: " + err.Error())
	}
}
