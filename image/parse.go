package image

import (
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker's media types, accepted when reading.
const (
	mediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
)

// maxJSONSize bounds the index, manifest and config bytes a reader takes.
const maxJSONSize = 8 << 20

func isIndexType(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == mediaTypeDockerManifestList
}

func isManifestType(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == mediaTypeDockerManifest
}

// parseIndex parses and checks an image index.
func parseIndex(data []byte) (ocispec.Index, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return idx, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if idx.SchemaVersion != 2 {
		return idx, fmt.Errorf("%w: schemaVersion %d, want 2", ErrCorrupt, idx.SchemaVersion)
	}
	if idx.MediaType != "" && !isIndexType(idx.MediaType) {
		return idx, fmt.Errorf("%w: mediaType %q is not an index", ErrCorrupt, idx.MediaType)
	}
	for i, d := range idx.Manifests {
		if err := checkDescriptor(d); err != nil {
			return idx, fmt.Errorf("manifests[%d]: %w", i, err)
		}
	}
	return idx, nil
}

// parseManifest parses and checks an image manifest.
func parseManifest(data []byte) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if m.SchemaVersion != 2 {
		return m, fmt.Errorf("%w: schemaVersion %d, want 2", ErrCorrupt, m.SchemaVersion)
	}
	if m.MediaType != "" && !isManifestType(m.MediaType) {
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
