package signature

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Cosign's tag scheme: the signatures of the manifest sha256:HEX are the
// layers of an image manifest tagged sha256-HEX.sig in the same
// repository, one layer per signature.
const (
	// MediaTypeSimpleSigning is the media type of a signature layer: its
	// bytes are the payload.
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	// AnnotationSignature is the layer annotation that holds the
	// signature, base64-encoded.
	AnnotationSignature = "dev.cosignproject.cosign/signature"
)

// maxPayload bounds a payload read; cosign's are a few hundred bytes.
// maxEnvelope bounds an attestation's envelope, which may hold an SBOM.
const (
	maxPayload  = 1 << 20
	maxEnvelope = 64 << 20
)

// maxSignatures bounds the layers of a signature manifest, as cosign's
// 1000 does.
const maxSignatures = 1000

// SignatureTag returns the tag that holds the signatures of the manifest
// d in cosign's scheme: "sha256-HEX.sig" for sha256:HEX.
func SignatureTag(d digest.Digest) string {
	return d.Algorithm().String() + "-" + d.Encoded() + ".sig"
}

// AppendSignatures returns the signature manifest that holds base's
// signatures, then sigs: the manifest to store under SignatureTag. A nil
// base starts a new one. The manifest is the one cosign writes: an OCI
// image manifest (or base's media types, when base has Docker's) whose
// config lists each layer as a diff_id, and whose layers are the payloads,
// of type MediaTypeSimpleSigning, each with its signature in the
// AnnotationSignature annotation.
func AppendSignatures(base image.Artifact, sigs ...Signature) (image.Artifact, error) {
	layers := make([]tagLayer, len(sigs))
	for i, s := range sigs {
		layers[i] = tagLayer{MediaTypeSimpleSigning, s.Payload, map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(s.Signature)}}
	}
	return appendLayers(base, layers)
}

// tagLayer is one layer of a manifest in cosign's tag scheme: a
// signature's payload or an attestation's envelope.
type tagLayer struct {
	mediaType   string
	data        []byte
	annotations map[string]string
}

// appendLayers returns the manifest that holds base's layers, then
// layers, as cosign writes it (see AppendSignatures).
func appendLayers(base image.Artifact, layers []tagLayer) (image.Artifact, error) {
	m := ggcrManifest{
		SchemaVersion: 2,
		MediaType:     ocispec.MediaTypeImageManifest,
		Config:        ggcrDescriptor{MediaType: ocispec.MediaTypeImageConfig},
	}
	blobs := map[digest.Digest]image.Blob{}
	if base != nil {
		if err := json.Unmarshal(base.RawManifest(), &m); err != nil {
			return nil, fmt.Errorf("signature: manifest %s: %w: %v", base.Digest(), ErrCorrupt, err)
		}
		if m.MediaType == "" {
			m.MediaType = base.MediaType()
		}
		for _, b := range base.Blobs() {
			blobs[b.Descriptor.Digest] = b
		}
	}
	if len(m.Layers)+len(layers) > maxSignatures {
		return nil, fmt.Errorf("signature: %w: more than %d signatures or attestations for one manifest", ErrCorrupt, maxSignatures)
	}
	for _, l := range layers {
		b := image.BlobFromBytes(l.mediaType, l.data)
		blobs[b.Descriptor.Digest] = b
		m.Layers = append(m.Layers, ggcrDescriptor{
			MediaType:   l.mediaType,
			Size:        b.Descriptor.Size,
			Digest:      b.Descriptor.Digest,
			Annotations: l.annotations,
		})
	}
	cfg := image.BlobFromBytes(m.Config.MediaType, signatureConfig(m.Layers))
	m.Config.Digest, m.Config.Size = cfg.Descriptor.Digest, cfg.Descriptor.Size
	blobs[cfg.Descriptor.Digest] = cfg
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	var list []image.Blob
	for _, d := range append([]ggcrDescriptor{m.Config}, m.Layers...) {
		b, ok := blobs[d.Digest]
		if !ok {
			return nil, fmt.Errorf("signature: manifest: %w: blob %s is not among its blobs", ErrCorrupt, d.Digest)
		}
		list = append(list, b)
	}
	a, err := image.ManifestFromRaw(raw, list)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return a, nil
}

// ggcrManifest and ggcrDescriptor are an image manifest and a
// descriptor with go-containerregistry's field order, which cosign
// writes, so that the same signatures make the same bytes, and digest, in
// both: the .sig manifests of the tag scheme and the bundle referrers.
type ggcrManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	Config        ggcrDescriptor    `json:"config"`
	Layers        []ggcrDescriptor  `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	Subject       *ggcrDescriptor   `json:"subject,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
}

type ggcrDescriptor struct {
	MediaType    string            `json:"mediaType"`
	Size         int64             `json:"size"`
	Digest       digest.Digest     `json:"digest"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

// ReadSignatures returns the signatures that a, a signature manifest
// read from a registry or layout, holds: each layer of type
// MediaTypeSimpleSigning, in order, its bytes read through the blob's
// Open (and so checked against its digest).
func ReadSignatures(ctx context.Context, a image.Artifact) ([]Signature, error) {
	layers, err := readLayers(ctx, a, MediaTypeSimpleSigning, maxPayload)
	if err != nil {
		return nil, err
	}
	sigs := make([]Signature, len(layers))
	for i, l := range layers {
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(l.annotations[AnnotationSignature]))
		if err != nil || len(sig) == 0 {
			sig = nil
		}
		sigs[i] = Signature{Payload: l.data, Signature: sig}
	}
	return sigs, nil
}

// readLayers returns the layers of type mediaType of a, a manifest in
// cosign's tag scheme, in order, their bytes read through the blob's Open
// (and so checked against its digest).
func readLayers(ctx context.Context, a image.Artifact, mediaType string, limit int64) ([]tagLayer, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(a.RawManifest(), &m); err != nil {
		return nil, fmt.Errorf("signature: manifest %s: %w: %v", a.Digest(), ErrCorrupt, err)
	}
	if len(m.Layers) > maxSignatures {
		return nil, fmt.Errorf("signature: manifest %s: %w: %d layers, at most %d", a.Digest(), ErrCorrupt, len(m.Layers), maxSignatures)
	}
	blobs := map[digest.Digest]image.Blob{}
	for _, b := range a.Blobs() {
		blobs[b.Descriptor.Digest] = b
	}
	var out []tagLayer
	for _, l := range m.Layers {
		if l.MediaType != mediaType {
			continue
		}
		b, ok := blobs[l.Digest]
		if !ok || l.Size > limit {
			return nil, fmt.Errorf("signature: manifest %s: %w: layer %s is missing or larger than %d bytes", a.Digest(), ErrCorrupt, l.Digest, limit)
		}
		data, err := readBlob(ctx, b, limit)
		if err != nil {
			return nil, fmt.Errorf("signature: manifest %s: layer %s: %w", a.Digest(), l.Digest, err)
		}
		out = append(out, tagLayer{l.MediaType, data, l.Annotations})
	}
	return out, nil
}

// signatureConfig returns the config cosign writes (go-containerregistry's
// empty image with the layers appended): each layer a diff_id, with an
// empty history entry, at the zero time.
func signatureConfig(layers []ggcrDescriptor) []byte {
	const zero = "0001-01-01T00:00:00Z"
	type history struct {
		Created string `json:"created"`
	}
	var c struct {
		Architecture string    `json:"architecture"`
		Created      string    `json:"created"`
		History      []history `json:"history"`
		OS           string    `json:"os"`
		RootFS       rootFS    `json:"rootfs"`
		Config       struct{}  `json:"config"`
	}
	c.Created = zero
	c.RootFS.Type = "layers"
	for _, l := range layers {
		c.History = append(c.History, history{Created: zero})
		c.RootFS.DiffIDs = append(c.RootFS.DiffIDs, l.Digest)
	}
	data, _ := json.Marshal(c) // cannot fail: strings and digests only
	return data
}

type rootFS struct {
	Type    string          `json:"type"`
	DiffIDs []digest.Digest `json:"diff_ids"`
}

func readBlob(ctx context.Context, b image.Blob, limit int64) ([]byte, error) {
	if data := b.Bytes(); data != nil {
		return data, nil
	}
	rc, err := b.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit+1))
}
