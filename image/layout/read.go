package layout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/oci"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layout is an OCI image layout opened for reading by Read or ReadFS.
// It holds index.json as it was when opened; manifests, configs and
// layers are read when an artifact is taken, and every blob read through
// it is checked against its digest. The values it returns re-open their
// files on every read: they stay readable as long as the files do, and
// need no Close. Manifests, indexes and configs are read, checked and
// kept once per Layout, however many entries and calls reach them; Verify
// reads them afresh. A Layout is safe for concurrent use.
type Layout struct {
	name   string // for errors: the directory, or what ReadFS was given
	fsys   fs.FS
	index  ocispec.Index
	loader *image.Loader
}

// Read opens the OCI image layout in dir: it checks oci-layout and reads
// index.json. A directory without oci-layout is an ErrNotLayout
// error; an index.json that cannot be parsed, or is not a regular file of
// at most 8 MiB, an image.ErrCorrupt error naming it. A layout being
// written has no index.json yet and reads as empty.
func Read(dir string) (*Layout, error) {
	return ReadFS(dirFS(dir), dir)
}

// ReadFS opens the OCI image layout at the root of fsys (an fs.Sub of an
// embed.FS, say); name is how errors refer to it.
func ReadFS(fsys fs.FS, name string) (*Layout, error) {
	if err := checkLayoutFile(fsys, name); err != nil {
		return nil, err
	}
	data, err := readSmall(fsys, "index.json")
	if errors.Is(err, fs.ErrNotExist) {
		return newLayout(name, fsys, emptyIndex()), nil
	}
	if err != nil {
		return nil, fmt.Errorf("layout: read %s: index.json: %w", name, err)
	}
	idx, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("layout: read %s: index.json: %w", name, err)
	}
	return newLayout(name, fsys, idx), nil
}

func newLayout(name string, fsys fs.FS, idx ocispec.Index) *Layout {
	l := &Layout{name: name, fsys: fsys, index: idx}
	l.loader = image.NewLoader(l)
	return l
}

// checkLayoutFile checks fsys's oci-layout file.
func checkLayoutFile(fsys fs.FS, name string) error {
	data, err := readSmall(fsys, "oci-layout")
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("layout: read %s: %w: it has no oci-layout file; give the directory that holds oci-layout and index.json", name, ErrNotLayout)
	}
	if err != nil {
		return fmt.Errorf("layout: read %s: oci-layout: %w", name, err)
	}
	var l ocispec.ImageLayout
	if err := json.Unmarshal(data, &l); err != nil {
		return fmt.Errorf("layout: read %s: oci-layout: %w: %v", name, image.ErrCorrupt, err)
	}
	if l.Version != ocispec.ImageLayoutVersion {
		return fmt.Errorf("layout: read %s: oci-layout: %w: version %q, want %q", name, ErrNotLayout, l.Version, ocispec.ImageLayoutVersion)
	}
	return nil
}

// readSmall reads a JSON file, refusing more than 8 MiB.
func readSmall(fsys fs.FS, rel string) ([]byte, error) {
	return oci.ReadSmall(fsys, rel, image.ErrCorrupt)
}

func emptyIndex() ocispec.Index {
	return ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
}

// parseIndex parses index.json.
func parseIndex(data []byte) (ocispec.Index, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return idx, fmt.Errorf("%w: %v", image.ErrCorrupt, err)
	}
	if idx.SchemaVersion != 2 {
		return idx, fmt.Errorf("%w: schemaVersion %d, want 2", image.ErrCorrupt, idx.SchemaVersion)
	}
	if idx.MediaType != "" && !mediatype.IsIndex(idx.MediaType) {
		return idx, fmt.Errorf("%w: mediaType %q is not an index", image.ErrCorrupt, idx.MediaType)
	}
	for i, d := range idx.Manifests {
		if err := d.Digest.Validate(); err != nil {
			return idx, fmt.Errorf("manifests[%d]: %w: digest %q: %v", i, image.ErrCorrupt, d.Digest, err)
		}
		if d.Size < 0 {
			return idx, fmt.Errorf("manifests[%d]: %w: negative size", i, image.ErrCorrupt)
		}
	}
	return idx, nil
}

// Fetch opens the blob d from the layout's blobs directory. The reader
// returns the file's bytes as they are; the values Load returns check
// them. A blob that is missing wraps fs.ErrNotExist; one that is not a
// regular file, or whose size is not d's, is an layer.ErrDigestMismatch
// error.
func (l *Layout) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	if err := d.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("layout: %s: %w: digest %q: %v", l.name, image.ErrCorrupt, d.Digest, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rel := oci.BlobPath(d)
	f, err := l.fsys.Open(rel)
	if err != nil {
		return nil, fmt.Errorf("layout: %s: blob %s: %w", l.name, rel, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("layout: %s: blob %s: %w", l.name, rel, err)
	}
	if st.Size() != d.Size {
		f.Close()
		return nil, fmt.Errorf("layout: %s: blob %s: %w: %d bytes, the descriptor says %d; the layout is damaged", l.name, rel, layer.ErrDigestMismatch, st.Size(), d.Size)
	}
	return f, nil
}

// Tags returns the names of the layout's entries, in index order, each
// as it reads back: the full name of an entry that has one, as docker
// shows it ("app:v1", "ghcr.io/me/app:v1"), else its
// org.opencontainers.image.ref.name ("v1"). Untagged entries are left
// out; a name that several entries carry is listed once.
func (l *Layout) Tags() []string {
	var tags []string
	for _, d := range l.index.Manifests {
		if t := oci.EntryName(d.Annotations); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

// Manifests returns a copy of the descriptors index.json lists, tagged or
// not, in order.
func (l *Layout) Manifests() []ocispec.Descriptor {
	var idx ocispec.Index
	b, _ := json.Marshal(l.index)
	json.Unmarshal(b, &idx)
	return idx.Manifests
}

// entries returns the descriptors that answer to tag (see
// oci.EntryTagged): a ref.name such as "v1", a full name, or a docker
// reference that stands for one ("app:v1" for "docker.io/library/app:v1").
// An empty tag takes every entry. A tag that entries of several names
// answer to ("v1" in a layout of ghcr.io/me/a:v1 and ghcr.io/me/b:v1) is
// an image.ErrNotFound error that lists those names.
func (l *Layout) entries(tag string) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	var names []string
	for _, d := range l.index.Manifests {
		if tag != "" && !oci.EntryTagged(d.Annotations, tag) {
			continue
		}
		out = append(out, d)
		if k := oci.EntryKey(d.Annotations); !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	if tag != "" && len(names) > 1 {
		var full []string
		for _, d := range out {
			if n := oci.EntryName(d.Annotations); !slices.Contains(full, n) {
				full = append(full, n)
			}
		}
		return nil, fmt.Errorf("layout: %s: tag %q %w: it names %d images, %q; give the full name", l.name, tag, image.ErrNotFound, len(full), full)
	}
	return out, nil
}

// entry returns the one descriptor tag names; an empty tag takes the
// layout's only entry.
func (l *Layout) entry(tag string) (ocispec.Descriptor, error) {
	ds, err := l.entries(tag)
	switch {
	case err != nil:
		return ocispec.Descriptor{}, err
	case len(ds) == 0 && tag == "":
		return ocispec.Descriptor{}, fmt.Errorf("layout: %s: %w: the layout is empty", l.name, image.ErrNotFound)
	case len(ds) == 0:
		return ocispec.Descriptor{}, fmt.Errorf("layout: %s: tag %q %w; it has tags %q", l.name, tag, image.ErrNotFound, l.Tags())
	case len(ds) > 1 && tag == "":
		return ocispec.Descriptor{}, fmt.Errorf("layout: %s: %w: no tag given and it holds %d entries; give one of the tags %q", l.name, image.ErrNotFound, len(ds), l.Tags())
	}
	return ds[0], nil
}

// Artifact returns the entry tagged tag exactly as stored (see
// image.Load): an *image.Image, *image.Index or *image.Manifest whose
// digest is the one index.json lists. An empty tag takes the layout's only
// entry. A missing tag is an image.ErrNotFound error that lists the tags.
func (l *Layout) Artifact(ctx context.Context, tag string) (image.Artifact, error) {
	d, err := l.entry(tag)
	if err != nil {
		return nil, err
	}
	a, err := l.loader.Load(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("layout: %s: %w", l.name, err)
	}
	return a, nil
}

// Index returns the index tagged tag, exactly as stored, to re-tag or
// annotate. An entry that is an image is an image.ErrNotFound error.
func (l *Layout) Index(ctx context.Context, tag string) (*image.Index, error) {
	a, err := l.Artifact(ctx, tag)
	if err != nil {
		return nil, err
	}
	ix, ok := a.(*image.Index)
	if !ok {
		return nil, fmt.Errorf("layout: %s: tag %q is a single manifest (%s), not an index: %w; use Image or Artifact", l.name, tag, a.MediaType(), image.ErrNotFound)
	}
	return ix, nil
}

// Image returns the image tagged tag for platform p, exactly as stored:
// its digests are the stored ones as long as it is not changed. Use
// image.FromBase to build on it.
//
// An empty tag takes the layout's only entry. An index is searched for p
// (see image.LoadImage); an empty p.Variant accepts any variant, and a
// zero p takes the first image. A missing tag or platform is an
// image.ErrNotFound error that lists what there is.
func (l *Layout) Image(ctx context.Context, tag string, p image.Platform) (*image.Image, error) {
	ds, err := l.entries(tag)
	if err != nil {
		return nil, err
	}
	if tag == "" || len(ds) == 0 {
		d, err := l.entry(tag)
		if err != nil {
			return nil, err
		}
		ds = []ocispec.Descriptor{d}
	}
	var last error
	for _, d := range ds {
		img, err := l.loader.LoadImage(ctx, d, p)
		if err == nil {
			return img, nil
		}
		if !errors.Is(err, image.ErrNotFound) {
			return nil, fmt.Errorf("layout: %s: %w", l.name, err)
		}
		last = err
	}
	if tag == "" {
		return nil, fmt.Errorf("layout: %s: %w", l.name, last)
	}
	return nil, fmt.Errorf("layout: %s: tag %q: %w", l.name, tag, last)
}

// Images returns every image that the entries tagged tag reach, one for
// each platform of an index, in index order, each digest once (an image
// under two tags, or listed by two indexes, is one); an empty tag takes
// every entry, tagged or not. Manifests and configs are read and checked here;
// layer bytes are checked as they are read. A tag that names nothing is
// an image.ErrNotFound error.
func (l *Layout) Images(ctx context.Context, tag string) ([]*image.Image, error) {
	arts, err := l.artifacts(ctx, l.loader, tag)
	if err != nil {
		return nil, err
	}
	var out []*image.Image
	seen := map[digest.Digest]bool{}
	for _, a := range arts {
		for _, img := range a.Images() {
			if !seen[img.Digest()] {
				seen[img.Digest()] = true
				out = append(out, img)
			}
		}
	}
	return out, nil
}

// artifacts loads every entry tag names through ld.
func (l *Layout) artifacts(ctx context.Context, ld *image.Loader, tag string) ([]image.Artifact, error) {
	ds, err := l.entries(tag)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 && tag != "" {
		return nil, fmt.Errorf("layout: %s: tag %q %w; it has tags %q", l.name, tag, image.ErrNotFound, l.Tags())
	}
	var out []image.Artifact
	for _, d := range ds {
		a, err := ld.Load(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("layout: %s: %w", l.name, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// Verify reads every blob that the layout's entries reach, each distinct
// digest once, checks each against its digest and size, and each layer's
// tar against its diffID. Manifests that are not images (attestations,
// SBOMs) are checked too. It returns the number of distinct blobs checked,
// indexes, manifests and configs included; the first mismatch is an error
// (layer.ErrDigestMismatch) naming the blob.
func (l *Layout) Verify(ctx context.Context) (int, error) {
	arts, err := l.artifacts(ctx, image.NewLoader(l), "")
	if err != nil {
		return 0, err
	}
	n, err := image.Verify(ctx, arts...)
	if err != nil {
		return 0, fmt.Errorf("layout: %s: %w", l.name, err)
	}
	return n, nil
}
