package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxDescriptors bounds the descriptors one Load or LoadImage follows,
// so that indexes listing one another many times cannot make it read
// without end. Each distinct manifest, index and config is read once per
// call however often it is listed, and once per Loader however many of
// its calls reach it.
const MaxDescriptors = 4096

// maxJSONTotal bounds the distinct JSON bytes one Load or LoadImage reads.
const maxJSONTotal = 64 << 20

// maxDepth bounds how deep indexes may nest.
const maxDepth = 4

// Load reads the manifest or index that d describes from f, and the
// manifests, indexes and configs it reaches, each checked against its
// digest and size, and returns it as stored: an *Image, an *Index (whose
// manifests are loaded too) or a *Manifest (an artifact, or a manifest
// whose config or layers are not an image's). Layers are not read here;
// they are read through f, and checked, when their bytes are.
//
// A JSON blob larger than 8 MiB, indexes nested deeper than 4, or more
// than MaxDescriptors descriptors is an ErrCorrupt error. To load several
// descriptors from one place, use a Loader: it reads what they share once.
func Load(ctx context.Context, f Fetcher, d ocispec.Descriptor) (Artifact, error) {
	return NewLoader(f).Load(ctx, d)
}

// LoadImage reads the image for platform p that d reaches: d itself when
// it is an image manifest of that platform, or the first image of that
// platform an index lists (nested indexes are searched; manifests of
// other platforms are not read). An empty p.Variant matches any variant;
// a zero p takes the first image. No image for p is a *PlatformError (an ErrNotFound)
// that lists the platforms there are.
func LoadImage(ctx context.Context, f Fetcher, d ocispec.Descriptor, p Platform) (*Image, error) {
	return NewLoader(f).LoadImage(ctx, d, p)
}

// Loader loads artifacts from one Fetcher, as Load and LoadImage do, and
// keeps what it has read and checked: each distinct manifest, index and
// config is fetched, hashed and parsed once, however many of its calls,
// and references within them, reach it; the limits of Load hold per call.
// The values it returns are shared between calls (they are immutable).
// It holds everything it has loaded for as long as it lives: make one per
// opened source, or per operation, not one per process. A Loader is safe
// for concurrent use.
type Loader struct {
	f    Fetcher
	mu   sync.Mutex
	arts map[digest.Digest]Artifact
	json map[digest.Digest][]byte
}

// NewLoader returns a Loader that reads from f.
func NewLoader(f Fetcher) *Loader {
	return &Loader{f: f, arts: map[digest.Digest]Artifact{}, json: map[digest.Digest][]byte{}}
}

// Load reads the artifact d describes, as the function Load does.
func (l *Loader) Load(ctx context.Context, d ocispec.Descriptor) (Artifact, error) {
	return l.call().load(ctx, d, 0)
}

// LoadImage reads the image for p that d reaches, as the function
// LoadImage does.
func (l *Loader) LoadImage(ctx context.Context, d ocispec.Descriptor, p Platform) (*Image, error) {
	ld := l.call()
	img, err := ld.image(ctx, d, p, 0)
	if errors.Is(err, errNoMatch) {
		return nil, &PlatformError{Want: p, Have: ld.platforms, In: d.Digest.String()}
	}
	return img, err
}

var errNoMatch = errors.New("no image for the platform")

// loader is one call of a Loader: it counts descriptors and bytes.
type loader struct {
	*Loader
	budget    int
	bytes     int64            // JSON bytes read so far
	platforms []Platform       // seen by image, for its error
	searched  map[listing]bool // by image, with no match
}

// listing is a manifest or index as a descriptor lists it: whether it
// holds an image for a platform depends on both.
type listing struct {
	d digest.Digest
	p Platform
}

func (l *Loader) call() *loader {
	return &loader{Loader: l, budget: MaxDescriptors, searched: map[listing]bool{}}
}

// cached returns the artifact loaded before as d, if d describes it as
// it is: its size, and an index as an index.
func (l *Loader) cached(d ocispec.Descriptor) (Artifact, bool) {
	l.mu.Lock()
	a, ok := l.arts[d.Digest]
	l.mu.Unlock()
	if !ok || a.Descriptor().Size != d.Size {
		return nil, false
	}
	if (mediatype.IsIndex(d.MediaType) || mediatype.IsManifest(d.MediaType)) && mediatype.IsIndex(d.MediaType) != mediatype.IsIndex(a.MediaType()) {
		return nil, false
	}
	return a, true
}

func (l *Loader) keep(d digest.Digest, a Artifact) {
	l.mu.Lock()
	l.arts[d] = a
	l.mu.Unlock()
}

func (ld *loader) spend(d ocispec.Descriptor, depth int) error {
	if ld.budget--; ld.budget < 0 {
		return fmt.Errorf("image: %w: more than %d descriptors to follow", ErrCorrupt, MaxDescriptors)
	}
	if depth > maxDepth {
		return fmt.Errorf("image: %w: indexes nested deeper than %d at %s", ErrCorrupt, maxDepth, d.Digest)
	}
	return checkDescriptor(d)
}

func (ld *loader) load(ctx context.Context, d ocispec.Descriptor, depth int) (Artifact, error) {
	if err := ld.spend(d, depth); err != nil {
		return nil, err
	}
	if a, ok := ld.cached(d); ok {
		return a, nil
	}
	data, mt, err := ld.readManifest(ctx, d)
	if err != nil {
		return nil, err
	}
	var a Artifact
	if mediatype.IsIndex(mt) {
		idx, err := parseIndex(data)
		if err != nil {
			return nil, fmt.Errorf("image: index %s: %w", d.Digest, err)
		}
		children := make([]Artifact, len(idx.Manifests))
		for i, c := range idx.Manifests {
			if children[i], err = ld.load(ctx, c, depth+1); err != nil {
				return nil, err
			}
		}
		if a, err = IndexFromRaw(data, children); err != nil {
			return nil, err
		}
	} else if a, err = ld.manifest(ctx, d, data); err != nil {
		return nil, err
	}
	ld.keep(d.Digest, a)
	return a, nil
}

// image searches d for an image of platform p. A manifest or index that
// holds none is searched once per call, however often it is listed.
func (ld *loader) image(ctx context.Context, d ocispec.Descriptor, p Platform, depth int) (*Image, error) {
	if err := ld.spend(d, depth); err != nil {
		return nil, err
	}
	k := listing{d: d.Digest}
	if d.Platform != nil {
		k.p = Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant}
	}
	if ld.searched[k] {
		return nil, errNoMatch
	}
	img, err := ld.search(ctx, d, p, depth)
	if errors.Is(err, errNoMatch) {
		ld.searched[k] = true
	}
	return img, err
}

func (ld *loader) search(ctx context.Context, d ocispec.Descriptor, p Platform, depth int) (*Image, error) {
	if d.Platform != nil && !mediatype.IsIndex(d.MediaType) {
		q := Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant}
		if q.OS != "unknown" && !slices.Contains(ld.platforms, q) {
			ld.platforms = append(ld.platforms, q)
		}
		if p != (Platform{}) && !p.Matches(q) {
			return nil, errNoMatch
		}
	}
	data, mt, err := ld.readManifest(ctx, d)
	if err != nil {
		return nil, err
	}
	if mediatype.IsIndex(mt) {
		idx, err := parseIndex(data)
		if err != nil {
			return nil, fmt.Errorf("image: index %s: %w", d.Digest, err)
		}
		for _, c := range idx.Manifests {
			img, err := ld.image(ctx, c, p, depth+1)
			if errors.Is(err, errNoMatch) {
				continue
			}
			return img, err
		}
		return nil, errNoMatch
	}
	a, err := ld.manifest(ctx, d, data)
	if err != nil {
		return nil, err
	}
	img, ok := a.(*Image)
	if !ok {
		return nil, errNoMatch
	}
	if d.Platform == nil && !slices.Contains(ld.platforms, img.Platform()) {
		ld.platforms = append(ld.platforms, img.Platform())
	}
	if p != (Platform{}) && !p.Matches(img.Platform()) {
		return nil, errNoMatch
	}
	return img, nil
}

// readManifest reads the manifest or index d, and learns its media type
// from d or, where d does not say, from the JSON.
func (ld *loader) readManifest(ctx context.Context, d ocispec.Descriptor) ([]byte, string, error) {
	data, err := ld.readJSON(ctx, d)
	if err != nil {
		return nil, "", err
	}
	mt := d.MediaType
	if mt == "" || (!mediatype.IsIndex(mt) && !mediatype.IsManifest(mt)) {
		if guess := jsonMediaType(data); guess != "" {
			mt = guess
		}
	}
	if !mediatype.IsIndex(mt) && !mediatype.IsManifest(mt) {
		return nil, "", fmt.Errorf("image: %s: %w: media type %q is neither a manifest nor an index", d.Digest, ErrCorrupt, mt)
	}
	return data, mt, nil
}

// manifest makes the image, or the artifact, that the manifest data
// describes.
func (ld *loader) manifest(ctx context.Context, d ocispec.Descriptor, data []byte) (Artifact, error) {
	m, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("image: manifest %s: %w", d.Digest, err)
	}
	if !mediatype.IsConfig(m.Config.MediaType) || slices.ContainsFunc(m.Layers, func(l ocispec.Descriptor) bool { return !isLayerType(l.MediaType) }) {
		return manifestFromRaw(data, m, ld.f), nil
	}
	cfgData, err := ld.readJSON(ctx, m.Config)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(cfgData)
	if err != nil {
		return nil, fmt.Errorf("image: config %s: %w", m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("image: config %s: %w: %d diff_ids for %d layers", m.Config.Digest, ErrCorrupt, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	layers := make([]*layer.Layer, len(m.Layers))
	for i, ld2 := range m.Layers {
		ld2 := ocispec.Descriptor{MediaType: ld2.MediaType, Digest: ld2.Digest, Size: ld2.Size}
		l, err := layer.FromBlob(ld2, cfg.RootFS.DiffIDs[i], func(ctx context.Context) (io.ReadCloser, error) {
			return ld.f.Fetch(ctx, ld2)
		})
		if err != nil {
			return nil, fmt.Errorf("image: manifest %s: layer %d: %w", d.Digest, i, err)
		}
		layers[i] = l
	}
	img, err := FromManifest(data, cfgData, layers)
	if err != nil {
		return nil, err
	}
	img.withPlatform(d.Platform)
	return img, nil
}

// readJSON reads the small blob d and checks its size and digest.
func (ld *loader) readJSON(ctx context.Context, d ocispec.Descriptor) ([]byte, error) {
	if err := checkDescriptor(d); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	ld.mu.Lock()
	data, ok := ld.json[d.Digest]
	ld.mu.Unlock()
	if ok && int64(len(data)) == d.Size {
		return data, nil
	}
	if d.Size > maxJSONSize {
		return nil, fmt.Errorf("image: blob %s: %w: %d bytes is too large for a manifest, index or config (at most %d)", d.Digest, ErrCorrupt, d.Size, maxJSONSize)
	}
	if ld.bytes += d.Size; ld.bytes > maxJSONTotal {
		return nil, fmt.Errorf("image: blob %s: %w: more than %d bytes of manifests, indexes and configs to read", d.Digest, ErrCorrupt, maxJSONTotal)
	}
	rc, err := ld.f.Fetch(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("image: blob %s: %w", d.Digest, err)
	}
	defer rc.Close()
	// One byte more than d.Size tells a longer blob; one allocation,
	// where io.ReadAll would make a doubling series of them.
	data = make([]byte, d.Size+1)
	n, err := io.ReadFull(rc, data)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("image: blob %s: %w", d.Digest, err)
	}
	data = data[:n:n]
	if int64(len(data)) != d.Size || !verifies(d.Digest, data) {
		return nil, fmt.Errorf("image: blob %s: %w (%d bytes read, %d listed)", d.Digest, layer.ErrDigestMismatch, len(data), d.Size)
	}
	ld.mu.Lock()
	ld.json[d.Digest] = data
	ld.mu.Unlock()
	return data, nil
}
