package tarball

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/oci"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrNotTar reports a file that Read cannot read as a tar at all (such as
// a compressed tarball or a binary), as opposed to a tar that holds no
// image. It comes with layout.ErrNotLayout.
var ErrNotTar = errors.New("not a tar file")

// Tarball is a tar file opened for reading by Read: an OCI layout in a
// tar (as Write, skopeo's oci-archive: or docker save from version 25
// write it) or a docker archive with only manifest.json (older docker
// save, skopeo's docker-archive:). Its entries are indexed once and blobs
// are read in place; every blob read through it is checked against its
// digest. Manifests, indexes and configs are read and kept once per
// Tarball, however many entries name them; Verify reads them afresh. The
// values it returns re-open the file on every read: they stay readable as
// long as the file is there, and need no Close. A Tarball is safe for
// concurrent use.
type Tarball struct {
	name   string
	fsys   *tarFS
	oci    *layout.Layout // the OCI layout, when the tar has index.json
	docker []dockerEntry  // manifest.json, when it has one

	mu      sync.Mutex
	digests map[string]digest.Digest // of layer files not named by digest
	images  map[string]*image.Image  // of manifest.json's entries, by entryKey
}

// Read opens the tar file at path. Layers may be gzip, zstd or plain
// tar, with OCI or docker media types. A compressed tarball must be
// decompressed first. A file that is not a tar, or a tar with neither
// index.json nor manifest.json, is a layout.ErrNotLayout error; one that
// lists a file twice, or whose JSON is corrupt, an image.ErrCorrupt error.
func Read(path string) (*Tarball, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tarball: read: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("tarball: read: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("tarball: read %s: %w: not a regular file", path, layout.ErrNotLayout)
	}
	files, err := index(f, path)
	if err != nil {
		return nil, err
	}
	t := &Tarball{name: path, fsys: &tarFS{path: path, files: files, size: st.Size()}, digests: map[string]digest.Digest{}, images: map[string]*image.Image{}}
	if _, ok := files["index.json"]; ok {
		if _, ok := files["oci-layout"]; !ok {
			// docker save from version 25 writes both; older tools
			// only index.json in some versions: accept it.
			t.fsys.files["oci-layout"] = section{synthetic: []byte(oci.LayoutFile)}
		}
		if t.oci, err = layout.ReadFS(t.fsys, path); err != nil {
			return nil, err // it names the file
		}
	}
	if _, ok := files["manifest.json"]; ok {
		data, err := readSmall(t.fsys, "manifest.json")
		if err != nil {
			return nil, fmt.Errorf("tarball: read %s: manifest.json: %w", path, err)
		}
		if err := json.Unmarshal(data, &t.docker); err != nil {
			return nil, fmt.Errorf("tarball: read %s: manifest.json: %w: %v", path, image.ErrCorrupt, err)
		}
		n := 0
		for _, e := range t.docker {
			n += 1 + len(e.Layers)
		}
		if n > image.MaxDescriptors {
			return nil, fmt.Errorf("tarball: read %s: manifest.json: %w: it names %d files, more than %d", path, image.ErrCorrupt, n, image.MaxDescriptors)
		}
	}
	if t.oci == nil && t.docker == nil {
		return nil, fmt.Errorf("tarball: read %s: %w: it has neither index.json nor manifest.json; give a tarball written by minimage, docker save, podman save or skopeo", path, layout.ErrNotLayout)
	}
	return t, nil
}

// index reads the tar headers of f and returns where each regular file's
// bytes are.
func index(f *os.File, name string) (map[string]section, error) {
	head := make([]byte, 4)
	if n, _ := f.ReadAt(head, 0); n == 4 {
		switch {
		case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
			return nil, fmt.Errorf("tarball: read %s: %w: the file is gzip-compressed; decompress it first (gunzip)", name, layout.ErrNotLayout)
		case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
			return nil, fmt.Errorf("tarball: read %s: %w: the file is zstd-compressed; decompress it first (zstd -d)", name, layout.ErrNotLayout)
		}
	}
	files := map[string]section{}
	pr := &posReader{f: f}
	tr := tar.NewReader(pr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(files) == 0 {
				return nil, fmt.Errorf("tarball: read %s: %w: %w (%v); give a tarball written by minimage, docker save, podman save or skopeo", name, layout.ErrNotLayout, ErrNotTar, err)
			}
			return nil, fmt.Errorf("tarball: read %s: %w: the tar is truncated or damaged after %d files: %v", name, image.ErrCorrupt, len(files), err)
		}
		if h.Typeflag != tar.TypeReg || h.Size < 0 || isSparse(h) {
			continue
		}
		rel := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if _, dup := files[rel]; dup {
			// Readers disagree on which copy counts (docker takes the
			// first, archive/tar users the last): refuse both.
			return nil, fmt.Errorf("tarball: read %s: %w: it holds %s twice; readers would disagree on which copy counts", name, image.ErrCorrupt, rel)
		}
		files[rel] = section{off: pr.pos, size: h.Size}
	}
	return files, nil
}

// Tags returns the names of the tarball's images: for an OCI layout the
// org.opencontainers.image.ref.name of each entry of index.json, for a
// docker archive the RepoTags of manifest.json.
func (t *Tarball) Tags() []string {
	if t.oci != nil {
		return t.oci.Tags()
	}
	var tags []string
	for _, e := range t.docker {
		for _, r := range e.RepoTags {
			if !slices.Contains(tags, r) {
				tags = append(tags, r)
			}
		}
	}
	return tags
}

// Fetch opens the blob d, as layout.Layout.Fetch does: from the OCI
// layout's blobs, or in a docker archive from the file that holds it.
func (t *Tarball) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	if t.oci != nil {
		return t.oci.Fetch(ctx, d)
	}
	rel := oci.BlobPath(d)
	if _, ok := t.fsys.files[rel]; !ok {
		t.mu.Lock()
		for r, dg := range t.digests {
			if dg == d.Digest {
				rel = r
			}
		}
		t.mu.Unlock()
	}
	f, err := t.fsys.Open(rel)
	if err != nil {
		return nil, fmt.Errorf("tarball: %s: blob %s: %w", t.name, d.Digest, err)
	}
	return f, nil
}

// Artifact returns the entry tagged tag exactly as stored (see
// layout.Layout.Artifact). A docker archive has no manifests: its entry is
// an image whose manifest is made anew (its config keeps its bytes).
func (t *Tarball) Artifact(ctx context.Context, tag string) (image.Artifact, error) {
	if t.oci != nil {
		return t.oci.Artifact(ctx, tag)
	}
	img, err := t.dockerImage(ctx, tag, image.Platform{})
	if err != nil {
		return nil, err
	}
	return img, nil
}

// Index returns the index tagged tag, as layout.Layout.Index does. A
// docker archive holds no index: its entries are images.
func (t *Tarball) Index(ctx context.Context, tag string) (*image.Index, error) {
	if t.oci != nil {
		return t.oci.Index(ctx, tag)
	}
	return nil, fmt.Errorf("tarball: %s: %w: a docker archive holds images, not indexes; use Image", t.name, image.ErrNotFound)
}

// Image returns the image tagged tag for platform p, exactly as stored,
// as layout.Layout.Image does. In a docker archive, tag matches one of an
// entry's RepoTags ("app" matches "app:latest"). An empty tag takes the
// tarball's only entry.
func (t *Tarball) Image(ctx context.Context, tag string, p image.Platform) (*image.Image, error) {
	if t.oci != nil {
		return t.oci.Image(ctx, tag, p) // its errors name the file
	}
	return t.dockerImage(ctx, tag, p)
}

// Images returns every image that the entries tagged tag reach, as
// layout.Layout.Images does; an empty tag takes every entry.
func (t *Tarball) Images(ctx context.Context, tag string) ([]*image.Image, error) {
	if t.oci != nil {
		return t.oci.Images(ctx, tag)
	}
	var out []*image.Image
	for _, e := range t.docker {
		if tag != "" && !dockerTagged(e, tag) {
			continue
		}
		img, err := t.entryImage(ctx, e, t.images)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("tarball: %s: tag %q %w; it has tags %q", t.name, tag, image.ErrNotFound, t.Tags())
	}
	return out, nil
}

// Verify reads every blob that index.json and manifest.json reach, each
// distinct digest once, and checks it as layout.Layout.Verify does: what
// any reader of the file would read is checked. It returns the number of
// distinct blobs checked.
func (t *Tarball) Verify(ctx context.Context) (int, error) {
	var arts []image.Artifact
	if t.oci != nil {
		ld := image.NewLoader(t.oci) // what entries share is read once
		for _, d := range t.oci.Manifests() {
			a, err := ld.Load(ctx, d)
			if err != nil {
				return 0, fmt.Errorf("tarball: %s: %w", t.name, err)
			}
			arts = append(arts, a)
		}
	}
	fresh := map[string]*image.Image{}
	for _, e := range t.docker {
		if _, ok := fresh[entryKey(e)]; ok {
			continue
		}
		img, err := t.entryImage(ctx, e, fresh)
		if err != nil {
			return 0, err
		}
		// A docker archive has no manifest file: check the files it
		// has, the config and layers, not the manifest made for them.
		bs := img.Blobs()
		arts = append(arts, filesOnly{img, bs[:len(bs)-1]})
	}
	n, err := image.Verify(ctx, arts...)
	if err != nil {
		return 0, fmt.Errorf("tarball: %s: %w", t.name, err)
	}
	return n, nil
}

// filesOnly is an artifact whose Blobs are those given.
type filesOnly struct {
	image.Artifact
	bs []image.Blob
}

func (f filesOnly) Blobs() []image.Blob { return f.bs }

func dockerTagged(e dockerEntry, tag string) bool {
	want := tag
	if t, err := oci.ParseDockerTag("", tag, nil); err == nil {
		want = t.Full
	}
	return slices.ContainsFunc(e.RepoTags, func(r string) bool {
		t, err := oci.ParseDockerTag("", r, nil)
		return r == tag || err == nil && t.Full == want
	})
}

// dockerImage takes an image from a docker archive's manifest.json.
func (t *Tarball) dockerImage(ctx context.Context, tag string, p image.Platform) (*image.Image, error) {
	var cands []dockerEntry
	for _, e := range t.docker {
		if tag == "" || dockerTagged(e, tag) {
			cands = append(cands, e)
		}
	}
	if len(cands) == 0 || tag == "" && len(cands) > 1 {
		return nil, fmt.Errorf("tarball: %s: tag %q %w; it has tags %q", t.name, tag, image.ErrNotFound, t.Tags())
	}
	var imgs []*image.Image
	for _, e := range cands {
		img, err := t.entryImage(ctx, e, t.images)
		if err != nil {
			return nil, err
		}
		if p == (image.Platform{}) || p.Matches(img.Platform()) {
			return img, nil
		}
		imgs = append(imgs, img)
	}
	if tag == "" {
		return nil, fmt.Errorf("tarball: %s: %w", t.name, image.NewPlatformError(p, imgs))
	}
	return nil, fmt.Errorf("tarball: %s: tag %q: %w", t.name, tag, image.NewPlatformError(p, imgs))
}

// entryImage returns the image of the manifest.json entry e from images,
// reading it into images first: entries that name the same files are
// read once.
func (t *Tarball) entryImage(ctx context.Context, e dockerEntry, images map[string]*image.Image) (*image.Image, error) {
	k := entryKey(e)
	t.mu.Lock()
	img, ok := images[k]
	t.mu.Unlock()
	if ok {
		return img, nil
	}
	img, err := t.dockerEntry(ctx, e)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	images[k] = img
	t.mu.Unlock()
	return img, nil
}

// entryKey returns the files e names, which make its image.
func entryKey(e dockerEntry) string {
	k := path.Clean(e.Config)
	for _, l := range e.Layers {
		k += "\x00" + path.Clean(l)
	}
	return k
}

// dockerEntry reads one image of manifest.json. A blob named by its
// digest (blobs/sha256/<hex>, <hex>.json) is checked against it; other
// layer files (<id>/layer.tar) are hashed, once per Tarball, to learn
// their digest.
func (t *Tarball) dockerEntry(ctx context.Context, e dockerEntry) (*image.Image, error) {
	cfgData, err := readSmall(t.fsys, path.Clean(e.Config))
	if err != nil {
		return nil, fmt.Errorf("tarball: %s: config %s: %w", t.name, e.Config, err)
	}
	if d, ok := digestOfName(e.Config); ok && !verifies(d, cfgData) {
		return nil, fmt.Errorf("tarball: %s: config %s: %w", t.name, e.Config, layer.ErrDigestMismatch)
	}
	var cfg struct {
		RootFS struct {
			DiffIDs []digest.Digest `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return nil, fmt.Errorf("tarball: %s: config %s: %w: %v", t.name, e.Config, image.ErrCorrupt, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(e.Layers) {
		return nil, fmt.Errorf("tarball: %s: config %s: %w: %d diff_ids for %d layers", t.name, e.Config, image.ErrCorrupt, len(cfg.RootFS.DiffIDs), len(e.Layers))
	}
	layers := make([]*layer.Layer, len(e.Layers))
	for i, rel := range e.Layers {
		rel = path.Clean(rel)
		desc, err := t.layerDescriptor(ctx, rel)
		if err != nil {
			return nil, err
		}
		l, err := layer.FromBlob(desc, cfg.RootFS.DiffIDs[i], func(context.Context) (io.ReadCloser, error) {
			return t.fsys.Open(rel)
		})
		if err != nil {
			return nil, fmt.Errorf("tarball: %s: layer %s: %w", t.name, rel, err)
		}
		layers[i] = l
	}
	img, err := image.FromConfig(cfgData, layers)
	if err != nil {
		return nil, fmt.Errorf("tarball: %s: %w", t.name, err)
	}
	return img, nil
}

// layerDescriptor learns a layer file's media type, from its first bytes,
// size and digest: from its name where it carries one, else by hashing it
// (once per Tarball).
func (t *Tarball) layerDescriptor(ctx context.Context, rel string) (ocispec.Descriptor, error) {
	s, ok := t.fsys.files[rel]
	if !ok {
		return ocispec.Descriptor{}, fmt.Errorf("tarball: %s: layer %s: %w: not in the tarball", t.name, rel, fs.ErrNotExist)
	}
	f, err := t.fsys.Open(rel)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("tarball: %s: layer %s: %w", t.name, rel, err)
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	d := ocispec.Descriptor{MediaType: sniffLayerType(head[:n]), Size: s.size}
	if dg, named := digestOfName(rel); named {
		d.Digest = dg
		return d, nil
	}
	t.mu.Lock()
	dg, ok := t.digests[rel]
	t.mu.Unlock()
	if !ok {
		h := digest.SHA256.Digester()
		h.Hash().Write(head[:n])
		if _, err := io.Copy(h.Hash(), oci.CtxReader{Ctx: ctx, R: f}); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("tarball: %s: layer %s: %w", t.name, rel, err)
		}
		dg = h.Digest()
		t.mu.Lock()
		t.digests[rel] = dg
		t.mu.Unlock()
	}
	d.Digest = dg
	return d, nil
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

func verifies(d digest.Digest, data []byte) bool {
	if d.Validate() != nil || !d.Algorithm().Available() {
		return false
	}
	v := d.Verifier()
	v.Write(data)
	return v.Verified()
}

// digestOfName returns the digest a docker archive file name carries:
// blobs/<alg>/<hex> or <hex>.json.
func digestOfName(rel string) (digest.Digest, bool) {
	rel = path.Clean(rel)
	var d digest.Digest
	if alg, enc, ok := strings.Cut(strings.TrimPrefix(rel, "blobs/"), "/"); ok && strings.HasPrefix(rel, "blobs/") {
		d = digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
	} else if enc, ok := strings.CutSuffix(rel, ".json"); ok {
		d = digest.NewDigestFromEncoded(digest.SHA256, enc)
	}
	return d, d != "" && d.Validate() == nil
}

func isSparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// readSmall reads a JSON file, refusing more than 8 MiB.
func readSmall(fsys fs.FS, rel string) ([]byte, error) {
	return oci.ReadSmall(fsys, rel, image.ErrCorrupt)
}

// posReader tracks the offset in f, so that the offset of each tar entry's
// data is known; Seek lets archive/tar skip data without reading it.
type posReader struct {
	f   *os.File
	pos int64
}

func (r *posReader) Read(p []byte) (int, error) {
	n, err := r.f.ReadAt(p, r.pos)
	r.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *posReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		r.pos = off
	case io.SeekCurrent:
		r.pos += off
	case io.SeekEnd:
		st, err := r.f.Stat()
		if err != nil {
			return 0, err
		}
		r.pos = st.Size() + off
	}
	return r.pos, nil
}

// section is where a file's bytes are in the tar, or bytes that stand in
// for a file the tar lacks.
type section struct {
	off, size int64
	synthetic []byte
}

// tarFS serves the tar's regular files by name. Every Open re-opens the
// tar file, so that readers are independent and nothing needs closing
// but the reader itself.
type tarFS struct {
	path  string
	size  int64
	files map[string]section
}

func (t *tarFS) Open(name string) (fs.File, error) {
	s, ok := t.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: not in the tarball", fs.ErrNotExist)}
	}
	if s.synthetic != nil {
		return &sectionFile{name: name, r: io.NewSectionReader(bytes.NewReader(s.synthetic), 0, int64(len(s.synthetic))), size: int64(len(s.synthetic))}, nil
	}
	f, err := os.Open(t.path)
	if err != nil {
		return nil, err
	}
	return &sectionFile{name: name, r: io.NewSectionReader(f, s.off, s.size), size: s.size, c: f}, nil
}

type sectionFile struct {
	name string
	r    *io.SectionReader
	size int64
	c    io.Closer
}

func (f *sectionFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *sectionFile) Close() error {
	if f.c != nil {
		return f.c.Close()
	}
	return nil
}
func (f *sectionFile) Stat() (fs.FileInfo, error) { return fileInfo{path.Base(f.name), f.size}, nil }

type fileInfo struct {
	name string
	size int64
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return 0o444 }
func (i fileInfo) ModTime() time.Time { return time.Unix(0, 0) }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return nil }
