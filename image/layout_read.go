package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layout is an OCI image layout, or a docker archive, opened for reading
// by ReadLayout or ReadTarball. Its images can be used as bases. It is
// safe for concurrent use. Every blob read through it is checked against
// its digest, and a mismatch is an ErrBlobMismatch (or, for layer bytes,
// layer.ErrDigestMismatch) error naming the blob.
type Layout struct {
	name   string // directory or tarball path, for errors
	index  *ocispec.Index
	docker []dockerManifestEntry // manifest.json of a docker archive without index.json
	open   func(rel string) (io.ReadCloser, int64, error)
	closer io.Closer
}

// ReadLayout opens the OCI image layout in dir: it checks oci-layout and
// reads index.json; blobs are read when an image is taken. An index.json
// that cannot be parsed is an ErrCorrupt error naming it.
func ReadLayout(dir string) (*Layout, error) {
	if err := checkOCILayoutFile(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("image: read layout %s: %w: no oci-layout file", dir, ErrNotLayout)
		}
		return nil, err
	}
	p := filepath.Join(dir, "index.json")
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("image: read layout: %w", err)
	}
	idx, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("image: read layout: %s: %w", p, err)
	}
	open := func(rel string) (io.ReadCloser, int64, error) {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			f.Close()
			return nil, 0, fmt.Errorf("%s: not a regular file", rel)
		}
		return f, st.Size(), nil
	}
	return &Layout{name: dir, index: &idx, open: open}, nil
}

// Close releases the tarball file of a Layout from ReadTarball; images
// taken from it cannot read their layers afterwards. For a directory it
// does nothing.
func (l *Layout) Close() error {
	if l.closer != nil {
		return l.closer.Close()
	}
	return nil
}

// Tags returns the names of the layout's entries, in index order: each
// descriptor's org.opencontainers.image.ref.name, or for a docker archive
// its RepoTags. Untagged entries are left out.
func (l *Layout) Tags() []string {
	var tags []string
	if l.index != nil {
		for _, d := range l.index.Manifests {
			if t := d.Annotations[ocispec.AnnotationRefName]; t != "" && !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		return tags
	}
	for _, e := range l.docker {
		tags = append(tags, e.RepoTags...)
	}
	return tags
}

// Image returns the image tagged tag for platform p, exactly as stored:
// its digests are the stored ones as long as it is not changed. Use
// FromBase to build on it.
//
// tag matches an entry's org.opencontainers.image.ref.name or
// io.containerd.image.name, or in a docker archive one of its RepoTags
// ("app" matches "app:latest"). An empty tag takes the layout's only
// entry. An index is searched for p; an empty p.Variant accepts any
// variant, and a zero p takes the first image. A missing tag or platform
// is an ErrNotFound error that lists what there is.
func (l *Layout) Image(tag string, p Platform) (*Image, error) {
	if l.index == nil {
		return l.dockerImage(tag, p)
	}
	var cands []ocispec.Descriptor
	for _, d := range l.index.Manifests {
		if tag == "" || entryTagged(d.Annotations, tag) {
			cands = append(cands, d)
		}
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("image: %s: tag %q %w; it has tags %q", l.name, tag, ErrNotFound, l.Tags())
	}
	if tag == "" && len(cands) > 1 {
		return nil, fmt.Errorf("image: %s: %w: it holds %d entries; give one of the tags %q", l.name, ErrNotFound, len(cands), l.Tags())
	}
	budget := maxDescriptors
	for _, d := range cands {
		img, err := l.resolve(d, p, 0, &budget)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		return img, err
	}
	return nil, fmt.Errorf("image: %s: tag %q has no image for %s: %w", l.name, tag, p, ErrNotFound)
}

// resolve follows d, an index or a manifest, to the image for p.
// It reads at most *budget descriptors, so that indexes listing one
// another many times cannot make it read without end.
func (l *Layout) resolve(d ocispec.Descriptor, p Platform, depth int, budget *int) (*Image, error) {
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("image: %s: %w: more than %d descriptors to follow", l.name, ErrCorrupt, maxDescriptors)
	}
	if depth > 4 {
		return nil, fmt.Errorf("image: %s: %w: indexes nested too deep at %s", l.name, ErrCorrupt, d.Digest)
	}
	if d.Platform != nil && p != (Platform{}) && !p.matches(Platform{d.Platform.OS, d.Platform.Architecture, d.Platform.Variant}) {
		return nil, ErrNotFound
	}
	data, err := l.readJSON(d)
	if err != nil {
		return nil, err
	}
	mt := d.MediaType
	if mt == "" {
		mt = jsonMediaType(data)
	}
	if isIndexType(mt) {
		idx, err := parseIndex(data)
		if err != nil {
			return nil, fmt.Errorf("image: %s: index %s: %w", l.name, d.Digest, err)
		}
		for _, c := range idx.Manifests {
			img, err := l.resolve(c, p, depth+1, budget)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return img, err
		}
		return nil, ErrNotFound
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("image: %s: manifest %s: %w", l.name, d.Digest, err)
	}
	cfgData, err := l.readJSON(m.Config)
	if err != nil {
		return nil, err
	}
	img, err := l.newImage(cfgData, m.Layers, d.Platform)
	if err != nil {
		return nil, err
	}
	if p != (Platform{}) && !p.matches(img.Platform()) {
		return nil, ErrNotFound
	}
	img.annotations = m.Annotations
	if (m.MediaType == ocispec.MediaTypeImageManifest || m.MediaType == "" && d.MediaType == ocispec.MediaTypeImageManifest) &&
		m.Config.MediaType == ocispec.MediaTypeImageConfig && !slices.ContainsFunc(m.Layers, func(d ocispec.Descriptor) bool { return ociLayerType(d.MediaType) != d.MediaType }) {
		img.rawConfig, img.rawManifest = cfgData, data
	}
	return img, nil
}

// newImage makes an image of a config and its layers' descriptors.
func (l *Layout) newImage(cfgData []byte, layers []ocispec.Descriptor, plat *ocispec.Platform) (*Image, error) {
	cfg, err := parseConfig(cfgData)
	if err != nil {
		return nil, fmt.Errorf("image: %s: config %s: %w", l.name, digest.FromBytes(cfgData), err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("image: %s: config %s: %w: %d diff_ids for %d layers", l.name, digest.FromBytes(cfgData), ErrCorrupt, len(cfg.RootFS.DiffIDs), len(layers))
	}
	if cfg.OS == "" && plat != nil {
		cfg.OS, cfg.Architecture, cfg.Variant = plat.OS, plat.Architecture, plat.Variant
	}
	img := &Image{config: cfg}
	img = img.clone() // normalizes nil slices
	for i, ld := range layers {
		ld := ocispec.Descriptor{MediaType: ociLayerType(ld.MediaType), Digest: ld.Digest, Size: ld.Size}
		rel := blobPath(ld)
		lay, err := layer.FromBlob(ld, cfg.RootFS.DiffIDs[i], func() (io.ReadCloser, error) {
			rc, _, err := l.open(rel)
			return rc, err
		})
		if err != nil {
			return nil, fmt.Errorf("image: %s: layer %d: %w", l.name, i, err)
		}
		img.layers = append(img.layers, lay)
	}
	return img, nil
}

// maxDescriptors bounds the descriptors one Layout.Image follows.
const maxDescriptors = 4096

// readJSON reads the small blob d and checks its size and digest.
func (l *Layout) readJSON(d ocispec.Descriptor) ([]byte, error) {
	if err := checkDescriptor(d); err != nil {
		return nil, fmt.Errorf("image: %s: %w", l.name, err)
	}
	if d.Size > maxJSONSize {
		return nil, fmt.Errorf("image: %s: blob %s: %w: %d bytes is too large for a manifest or config", l.name, d.Digest, ErrCorrupt, d.Size)
	}
	rel := blobPath(d)
	rc, _, err := l.open(rel)
	if err != nil {
		return nil, fmt.Errorf("image: %s: blob %s: %w", l.name, rel, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, d.Size+1))
	if err != nil {
		return nil, fmt.Errorf("image: %s: blob %s: %w", l.name, rel, err)
	}
	if int64(len(data)) != d.Size || !verifies(d.Digest, data) {
		return nil, fmt.Errorf("image: %s: blob %s: %w; the layout is damaged", l.name, rel, ErrBlobMismatch)
	}
	return data, nil
}

func verifies(d digest.Digest, data []byte) bool {
	v := d.Verifier()
	v.Write(data)
	return v.Verified()
}

// ociLayerType maps docker's layer media types to OCI's, which have the
// same bytes; others are returned as they are.
func ociLayerType(mt string) string {
	switch mt {
	case layer.MediaTypeDockerLayer:
		return ocispec.MediaTypeImageLayerGzip
	case layer.MediaTypeDockerLayerZstd:
		return ocispec.MediaTypeImageLayerZstd
	case layer.MediaTypeDockerLayerTar:
		return ocispec.MediaTypeImageLayer
	}
	return mt
}

// sniffLayerType returns the media type of layer bytes that start with
// head: gzip, zstd or plain tar.
func sniffLayerType(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return ocispec.MediaTypeImageLayerGzip
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// jsonMediaType guesses the media type of a manifest or index whose
// descriptor does not say: its mediaType field, or an index when it lists
// manifests.
func jsonMediaType(data []byte) string {
	var probe struct {
		MediaType string          `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	json.Unmarshal(data, &probe)
	if probe.MediaType == "" && probe.Manifests != nil {
		return ocispec.MediaTypeImageIndex
	}
	return probe.MediaType
}
