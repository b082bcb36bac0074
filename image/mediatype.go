package image

import (
	"encoding/json"
	"fmt"

	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/mediatype"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// isLayerType reports whether mt is a tar layer media type this package
// can read: OCI or Docker, gzip, zstd or plain.
func isLayerType(mt string) bool {
	_, ok := layer.ParseMediaType(mt)
	return ok
}

// maxJSONSize bounds the index, manifest and config bytes a reader takes.
const maxJSONSize = 8 << 20

// parseIndex parses and checks an image index.
func parseIndex(data []byte) (ocispec.Index, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return idx, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if idx.SchemaVersion != 2 {
		return idx, fmt.Errorf("%w: schemaVersion %d, want 2", ErrCorrupt, idx.SchemaVersion)
	}
	if idx.MediaType != "" && !mediatype.IsIndex(idx.MediaType) {
		return idx, fmt.Errorf("%w: mediaType %q is not an index", ErrCorrupt, idx.MediaType)
	}
	for i, d := range idx.Manifests {
		if err := checkDescriptor(d); err != nil {
			return idx, fmt.Errorf("manifests[%d]: %w", i, err)
		}
	}
	return idx, nil
}

// parseManifest parses and checks a manifest: an image's, or an
// artifact's with any config and layer media types.
func parseManifest(data []byte) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if m.SchemaVersion != 2 {
		return m, fmt.Errorf("%w: schemaVersion %d, want 2", ErrCorrupt, m.SchemaVersion)
	}
	if m.MediaType != "" && !mediatype.IsManifest(m.MediaType) {
		return m, fmt.Errorf("%w: mediaType %q is not an image manifest", ErrCorrupt, m.MediaType)
	}
	if err := checkDescriptor(m.Config); err != nil {
		return m, fmt.Errorf("config: %w", err)
	}
	for i, d := range m.Layers {
		if err := checkDescriptor(d); err != nil {
			return m, fmt.Errorf("layers[%d]: %w", i, err)
		}
	}
	if m.Subject != nil {
		if err := checkDescriptor(*m.Subject); err != nil {
			return m, fmt.Errorf("subject: %w", err)
		}
	}
	return m, nil
}

// parseConfig parses and checks an image config.
func parseConfig(data []byte) (ocispec.Image, error) {
	var c ocispec.Image
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if c.RootFS.Type != "layers" {
		return c, fmt.Errorf("%w: rootfs.type %q, want \"layers\"", ErrCorrupt, c.RootFS.Type)
	}
	for i, d := range c.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			return c, fmt.Errorf("%w: rootfs.diff_ids[%d]: %v", ErrCorrupt, i, err)
		}
	}
	return c, nil
}

func checkDescriptor(d ocispec.Descriptor) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("%w: digest %q: %v", ErrCorrupt, d.Digest, err)
	}
	if d.Size < 0 {
		return fmt.Errorf("%w: blob %s: negative size %d", ErrCorrupt, d.Digest, d.Size)
	}
	return nil
}

// jsonMediaType guesses the media type of a manifest or index whose
// descriptor does not say: its mediaType field, or an index when it lists
// manifests, or a manifest when it has a config.
func jsonMediaType(data []byte) string {
	var probe struct {
		MediaType string          `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
		Config    json.RawMessage `json:"config"`
	}
	json.Unmarshal(data, &probe)
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.Manifests != nil:
		return ocispec.MediaTypeImageIndex
	case probe.Config != nil:
		return ocispec.MediaTypeImageManifest
	}
	return ""
}

// AnnotationContainerdName is the annotation that containerd, and docker
// load from version 25, read as an image's full name in an OCI tarball.
const AnnotationContainerdName = "io.containerd.image.name"
