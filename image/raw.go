package image

import (
	"fmt"
	"slices"

	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FromManifest returns the image that rawManifest describes, with
// rawConfig as its config and layers as its layers, keeping both byte
// slices exactly (they are copied): its Digest, ConfigDigest and media
// types are the stored ones, OCI or Docker, until the image is changed.
// It is how a transport makes an image it has read; Load calls it.
//
// It checks what it is given: rawManifest must be an image manifest
// (OCI or Docker schema 2) whose config descriptor matches rawConfig's
// digest and size, rawConfig an image config whose diff_ids are the
// layers' diffIDs, and layers the manifest's layers, in order, with the
// same digests and sizes. A mismatch is an ErrCorrupt or layer.ErrDigestMismatch
// error.
func FromManifest(rawManifest, rawConfig []byte, layers []*layer.Layer) (*Image, error) {
	m, err := parseManifest(rawManifest)
	if err != nil {
		return nil, fmt.Errorf("image: manifest %s: %w", digest.FromBytes(rawManifest), err)
	}
	if !mediatype.IsConfig(m.Config.MediaType) {
		return nil, fmt.Errorf("image: manifest %s: %w: config media type %q is not an image config; use Load, which reads such artifacts as a *Manifest", digest.FromBytes(rawManifest), ErrCorrupt, m.Config.MediaType)
	}
	if m.Config.Size != int64(len(rawConfig)) || !verifies(m.Config.Digest, rawConfig) {
		return nil, fmt.Errorf("image: manifest %s: config %s: %w: the config given has %d bytes and digest %s", digest.FromBytes(rawManifest), m.Config.Digest, layer.ErrDigestMismatch, len(rawConfig), digest.FromBytes(rawConfig))
	}
	if len(m.Layers) != len(layers) {
		return nil, fmt.Errorf("image: manifest %s: %w: it lists %d layers, %d given", digest.FromBytes(rawManifest), ErrCorrupt, len(m.Layers), len(layers))
	}
	for i, d := range m.Layers {
		l := layers[i]
		if l == nil || l.Digest() != d.Digest || l.Size() != d.Size || layer.OCIMediaType(l.MediaType()) != layer.OCIMediaType(d.MediaType) {
			return nil, fmt.Errorf("image: manifest %s: layer %d: %w: the manifest lists %s (%d bytes, %s)", digest.FromBytes(rawManifest), i, layer.ErrDigestMismatch, d.Digest, d.Size, d.MediaType)
		}
	}
	img, err := FromConfig(rawConfig, layers)
	if err != nil {
		return nil, fmt.Errorf("image: manifest %s: %w", digest.FromBytes(rawManifest), err)
	}
	img.rawManifest = slices.Clone(rawManifest)
	img.manifestDigest = digest.FromBytes(rawManifest)
	img.stored = &m
	img.annotations = m.Annotations
	return img, nil
}

// FromConfig returns an image of rawConfig and layers, keeping the config
// bytes exactly (they are copied), so that its ConfigDigest (the "image
// ID") is the stored one; its manifest is made anew, with OCI media types.
// It is how a docker archive, which has no manifest, is read. rawConfig's
// diff_ids must be the layers' diffIDs, in order.
func FromConfig(rawConfig []byte, layers []*layer.Layer) (*Image, error) {
	cfg, err := parseConfig(rawConfig)
	if err != nil {
		return nil, fmt.Errorf("image: config %s: %w", digest.FromBytes(rawConfig), err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("image: config %s: %w: %d diff_ids for %d layers", digest.FromBytes(rawConfig), ErrCorrupt, len(cfg.RootFS.DiffIDs), len(layers))
	}
	for i, l := range layers {
		if l == nil {
			return nil, fmt.Errorf("image: config %s: layer %d is nil", digest.FromBytes(rawConfig), i)
		}
		if l.DiffID() != cfg.RootFS.DiffIDs[i] {
			return nil, fmt.Errorf("image: config %s: layer %d: %w: diffID %s, the config lists %s", digest.FromBytes(rawConfig), i, layer.ErrDigestMismatch, l.DiffID(), cfg.RootFS.DiffIDs[i])
		}
	}
	img := (&Image{config: cfg}).clone() // normalizes nil slices
	img.layers = slices.Clone(layers)
	img.rawConfig = slices.Clone(rawConfig)
	return img, nil
}

// withPlatform fills the platform of a config that names none from the
// descriptor an index lists it under; the stored bytes do not change.
func (img *Image) withPlatform(p *ocispec.Platform) {
	if img.config.OS == "" && p != nil {
		img.config.OS, img.config.Architecture, img.config.Variant = p.OS, p.Architecture, p.Variant
	}
}
