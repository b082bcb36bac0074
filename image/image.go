package image

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultUser is the user a new image runs as: uid and gid 65532, the
// "nonroot" user of distroless-style base files. Use WithUser("0") or
// WithUser("root") to run as root.
const DefaultUser = "65532:65532"

// History describes how a layer was made, as it appears in the config's
// history. A nil Created means the image's created time.
type History = ocispec.History

// Image is one OCI image: a config, its layers and the manifest that ties
// them together. It is an immutable value: every With… and Append method
// returns a new Image and leaves the receiver as it was, so an Image may be
// shared and used from several goroutines at once. Its JSON is
// deterministic: the same values give the same bytes and digests.
type Image struct {
	config      ocispec.Image
	layers      []*layer.Layer
	annotations map[string]string
	subject     *ocispec.Descriptor

	// rawConfig and rawManifest hold the bytes of an image read from a
	// layout, tarball or registry (FromManifest, FromConfig), so that it
	// keeps its digests, media types and every field until it is changed;
	// stored is rawManifest parsed, and manifestDigest its digest, hashed
	// once. Every change goes through clone, which drops them.
	rawConfig, rawManifest []byte
	stored                 *ocispec.Manifest
	manifestDigest         digest.Digest
}

// New returns an empty image for p: no layers, created at the Unix epoch,
// running as DefaultUser.
func New(p Platform) *Image {
	epoch := time.Unix(0, 0).UTC()
	return &Image{config: ocispec.Image{
		Created:  &epoch,
		Platform: ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant},
		Config:   ocispec.ImageConfig{User: DefaultUser},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}},
	}}
}

// Images returns img alone, as Artifact's Images does for an image.
func (img *Image) Images() []*Image { return []*Image{img} }

func (*Image) sealed()    {}
func (*Index) sealed()    {}
func (*Manifest) sealed() {}

// Platform returns the image's platform, from its config.
func (img *Image) Platform() Platform {
	return Platform{OS: img.config.OS, Architecture: img.config.Architecture, Variant: img.config.Variant}
}

// Config returns a deep copy of the image's config.
func (img *Image) Config() ocispec.Image { return img.clone().config }

// Layers returns the image's layers, bottom first. The slice is a copy;
// the layers themselves are immutable.
func (img *Image) Layers() []*layer.Layer { return slices.Clone(img.layers) }

// Annotations returns a copy of the manifest's annotations.
func (img *Image) Annotations() map[string]string { return maps.Clone(img.annotations) }

// Append returns img with layers added on top, each with a history entry
// whose created_by names the layer by its digest, such as "minimage:
// layer sha256:1aac4d018805", so that docker history and inspect tell the
// layers apart. Use AppendLayer to say what made a layer.
func (img *Image) Append(layers ...*layer.Layer) *Image {
	n := img.clone()
	for _, l := range layers {
		d := l.Digest().String()
		n.appendLayer(l, History{CreatedBy: "minimage: layer " + d[:min(len(d), len("sha256:")+12)]})
	}
	return n
}

// AppendLayer returns img with l added on top and h as its history entry,
// e.g. History{CreatedBy: "minimage: certs"}. h.EmptyLayer is ignored.
func (img *Image) AppendLayer(l *layer.Layer, h History) *Image {
	n := img.clone()
	n.appendLayer(l, h)
	return n
}

func (img *Image) appendLayer(l *layer.Layer, h History) {
	if l == nil {
		panic("image: Append of a nil *layer.Layer")
	}
	h.EmptyLayer = false
	if h.Created != nil {
		t := *h.Created
		h.Created = &t
	}
	img.layers = append(img.layers, l)
	img.config.RootFS.DiffIDs = append(img.config.RootFS.DiffIDs, l.DiffID())
	img.config.History = append(img.config.History, h)
}

// WithCreated returns img with its config's created time set to t,
// truncated to whole seconds and in UTC. It is also the time of every
// history entry that does not give its own.
func (img *Image) WithCreated(t time.Time) *Image {
	n := img.clone()
	t = t.Truncate(time.Second).UTC()
	n.config.Created = &t
	return n
}

// WithAnnotation returns img with the manifest annotation k set to v, such
// as ocispec.AnnotationSource or ocispec.AnnotationVersion. An empty v
// removes k.
func (img *Image) WithAnnotation(k, v string) *Image {
	n := img.clone()
	n.annotations = setOrDelete(n.annotations, k, v)
	return n
}

// Manifest returns the image's OCI manifest.
//
// A new or changed image gets an OCI manifest, and its layers OCI media
// types (a Docker layer type becomes the OCI type with the same bytes); an
// image read as stored returns the stored manifest, Docker media types
// and all.
func (img *Image) Manifest() ocispec.Manifest {
	if img.stored != nil {
		var m ocispec.Manifest
		json.Unmarshal(img.rawManifest, &m) // a deep copy; it parsed before
		return m
	}
	m := ocispec.Manifest{
		Versioned:   specsVersion,
		MediaType:   ocispec.MediaTypeImageManifest,
		Config:      img.ConfigDescriptor(),
		Layers:      make([]ocispec.Descriptor, len(img.layers)),
		Subject:     cloneDescriptor(img.subject),
		Annotations: maps.Clone(img.annotations),
	}
	for i, l := range img.layers {
		m.Layers[i] = l.Descriptor()
		m.Layers[i].MediaType = layer.OCIMediaType(m.Layers[i].MediaType)
	}
	return m
}

// RawManifest returns the manifest's JSON bytes, whose digest is Digest.
func (img *Image) RawManifest() []byte {
	if img.rawManifest != nil {
		return slices.Clone(img.rawManifest)
	}
	return mustJSON(img.Manifest())
}

// RawConfig returns the config's JSON bytes, whose digest is ConfigDigest.
func (img *Image) RawConfig() []byte {
	if img.rawConfig != nil {
		return slices.Clone(img.rawConfig)
	}
	c := img.clone().config
	for i := range c.History {
		if c.History[i].Created == nil {
			c.History[i].Created = c.Created
		}
	}
	return mustJSON(c)
}

// Digest returns the manifest's digest: the image's identity in a registry
// or layout.
func (img *Image) Digest() digest.Digest {
	if img.rawManifest != nil {
		return img.manifestDigest
	}
	return digest.FromBytes(img.RawManifest())
}

// ConfigDigest returns the config's digest, the "image ID" docker shows.
func (img *Image) ConfigDigest() digest.Digest { return digest.FromBytes(img.RawConfig()) }

// ConfigDescriptor returns the descriptor of the config blob.
func (img *Image) ConfigDescriptor() ocispec.Descriptor {
	if img.stored != nil {
		d := img.stored.Config
		return ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
	}
	raw := img.RawConfig()
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
}

// MediaType returns the manifest's media type: OCI's image manifest, or
// for an image read as stored, the stored one (such as Docker's).
func (img *Image) MediaType() string {
	if img.stored != nil {
		if img.stored.MediaType != "" {
			return img.stored.MediaType
		}
	}
	return ocispec.MediaTypeImageManifest
}

// Subject returns the descriptor of the manifest this image refers to
// (OCI 1.1 referrers), or nil.
func (img *Image) Subject() *ocispec.Descriptor {
	if img.stored != nil {
		return cloneDescriptor(img.stored.Subject)
	}
	return cloneDescriptor(img.subject)
}

// WithSubject returns img with its manifest's subject set to d, making it
// a referrer of the manifest d describes (a signature or attestation
// image, say). A zero d removes the subject.
func (img *Image) WithSubject(d ocispec.Descriptor) *Image {
	n := img.clone()
	n.subject = nil
	if d.Digest != "" {
		n.subject = cloneDescriptor(&ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, ArtifactType: d.ArtifactType})
	}
	return n
}

// Descriptor returns the manifest's descriptor, with the platform set, as
// an index lists it.
func (img *Image) Descriptor() ocispec.Descriptor {
	d := img.manifestBlob().Descriptor
	d.Platform = img.Platform().OCI()
	return d
}

// manifestBlob returns the image's manifest blob; that of a stored image
// shares its bytes, which are never changed.
func (img *Image) manifestBlob() Blob {
	if img.rawManifest != nil {
		return Blob{Descriptor: ocispec.Descriptor{MediaType: img.MediaType(), Digest: img.manifestDigest, Size: int64(len(img.rawManifest))}, data: img.rawManifest}
	}
	return BlobFromBytes(img.MediaType(), img.RawManifest())
}

// Blobs returns the image's blobs: its layers bottom first (a layer listed
// twice, once), then the config, then the manifest.
func (img *Image) Blobs() []Blob {
	var bs []Blob
	seen := map[digest.Digest]bool{}
	for _, l := range img.layers {
		if !seen[l.Digest()] {
			seen[l.Digest()] = true
			bs = append(bs, BlobFromLayer(l))
		}
	}
	cb := BlobFromBytes(img.ConfigDescriptor().MediaType, img.RawConfig())
	if !seen[cb.Descriptor.Digest] {
		bs = append(bs, cb)
	}
	return append(bs, img.manifestBlob())
}

// clone returns a deep copy of img without the raw bytes of a read image.
func (img *Image) clone() *Image {
	c := img.config
	if c.Created != nil {
		t := *c.Created
		c.Created = &t
	}
	c.OSFeatures = slices.Clone(c.OSFeatures)
	c.Config = cloneImageConfig(c.Config)
	c.RootFS.DiffIDs = slices.Clone(c.RootFS.DiffIDs)
	if c.RootFS.DiffIDs == nil {
		c.RootFS.DiffIDs = []digest.Digest{}
	}
	c.History = slices.Clone(c.History)
	for i := range c.History {
		if t := c.History[i].Created; t != nil {
			tt := *t
			c.History[i].Created = &tt
		}
	}
	return &Image{config: c, layers: slices.Clone(img.layers), annotations: maps.Clone(img.annotations), subject: img.Subject()}
}

func cloneDescriptor(d *ocispec.Descriptor) *ocispec.Descriptor {
	if d == nil {
		return nil
	}
	c := *d
	c.URLs = slices.Clone(d.URLs)
	c.Annotations = maps.Clone(d.Annotations)
	c.Data = slices.Clone(d.Data)
	if d.Platform != nil {
		p := *d.Platform
		p.OSFeatures = slices.Clone(p.OSFeatures)
		c.Platform = &p
	}
	return &c
}

func setOrDelete(m map[string]string, k, v string) map[string]string {
	if v == "" {
		delete(m, k)
		if len(m) == 0 {
			return nil
		}
		return m
	}
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// specsVersion is the schemaVersion of every manifest and index.
var specsVersion = specs.Versioned{SchemaVersion: 2}

// mustJSON encodes v, one of this package's OCI structs, whose encoding
// cannot fail: they hold only strings, numbers, times, slices and maps
// with string keys. encoding/json sorts map keys, so the bytes are
// deterministic.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("image: encode JSON: " + err.Error())
	}
	return b
}
