package tarball

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/oci"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options control Write and WriteFile. The zero value writes an untagged
// tarball.
type Options struct {
	// Tags name the artifact as layout.Options.Tags do. A docker
	// reference NAME:TAG ("app:v1", "example.com/team/app:v1"; NAME
	// alone means NAME:latest) goes into manifest.json's RepoTags as
	// "name:tag", and into index.json as a descriptor whose
	// org.opencontainers.image.ref.name is the tag alone ("v1", as docker
	// save writes it; what skopeo's oci-archive:file.tar:v1 matches) and
	// whose io.containerd.image.name is the full name
	// ("docker.io/library/app:v1", what containerd and docker 25+ read).
	// A tag alone ("v1": no ':' or '/') goes into index.json's ref.name
	// only: docker load finds no name in it.
	Tags []string
}

// Write writes a (an *image.Image or *image.Index, or any image.Artifact)
// to w as one tar file that is both an OCI image layout (oci-layout,
// index.json, blobs/) and a docker archive (manifest.json), so that docker
// load, podman load, skopeo's oci-archive: and docker-archive:, crane and
// ctr images import all read it.
//
// manifest.json lists one image, as docker load can give a tag to only
// one: for an index, its linux/amd64 image if it has one, else its first;
// for an artifact that is no image, none. The index itself, with every
// platform, is what index.json names. Each blob is stored once, however
// many images share it.
//
// The bytes are deterministic. The entries come in this order: oci-layout,
// blobs/, then the layers in image order (bottom first, image by image, as
// a.Blobs lists them), then the other blobs (configs, manifests, the index)
// in a.Blobs' order, each blob after the first entry of its directory
// (blobs/sha256/), and last index.json and manifest.json; so a writer that
// builds the layers (File) can put each in place as it is made. Entries
// are dated the Unix epoch, owned by 0:0, mode 0644 (0755 for
// directories), with USTAR headers unless a blob is larger than USTAR can
// say. Layers stream from their blobs into w; nothing is held whole in
// memory beyond the JSON. When w is an *os.File, a layer spilled to a file
// is copied by the kernel (copy_file_range) where it can. Write stops when
// ctx is cancelled. It does not close w.
func Write(ctx context.Context, w io.Writer, a image.Artifact, opts Options) error {
	return WriteNamed(ctx, w, []Named{{Artifact: a, Tags: opts.Tags}})
}

// Named is one artifact of a tarball that holds several (WriteNamed),
// with the tags that name it (as Options.Tags).
type Named struct {
	Artifact image.Artifact
	Tags     []string
}

// WriteNamed writes several artifacts to w as one tarball, as Write writes
// one: each blob once, however many artifacts share it, the layers of all
// first (in the order of items); index.json lists each artifact once per
// tag (or once untagged), in order; manifest.json lists one image per
// artifact (chosen as Write chooses it), with its tags, so that docker
// load and podman load load every one under its names. Two artifacts may
// not have a tag of the same full name (or, for a tag alone, the same
// tag).
func WriteNamed(ctx context.Context, w io.Writer, items []Named) error {
	tags, err := parseTags(items)
	if err != nil {
		return err
	}
	tw := newTarWriter(w)
	if err := tw.start(); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	return tw.finish(ctx, items, tags)
}

// tarWriter writes a tarball entry by entry, in the order Write
// documents, as archive/tar's Writer does, byte for byte, but lets a
// blob's bytes go past it: to a file (WriteFile's, or an *os.File given
// to Write), a layer's spill file is then copied by the kernel (see
// layer.Layer.Compressed), not through memory. It remembers which blobs
// it wrote, in order.
type tarWriter struct {
	w       io.Writer
	file    *os.File          // the file under w, or nil
	flush   func() error      // flushes w into file, or nil
	fileErr func(error) error // renames file's errors, or nil
	hdr     bytes.Buffer
	dirs    map[string]bool // directory entries written
	written []string        // blob entries written, in order
	blobs   map[string]bool // of written
}

func newTarWriter(w io.Writer) *tarWriter {
	tw := &tarWriter{w: w, dirs: map[string]bool{}, blobs: map[string]bool{}}
	switch f := w.(type) {
	case *fileWriter:
		tw.w, tw.file, tw.flush, tw.fileErr = f.bw, f.f, f.bw.Flush, f.fileErr
	case *os.File:
		tw.file = f
	}
	return tw
}

var epoch = time.Unix(0, 0)

// start writes the entries before the blobs: oci-layout and blobs/.
func (t *tarWriter) start() error {
	if err := t.small("oci-layout", []byte(oci.LayoutFile)); err != nil {
		return err
	}
	return t.dir("blobs/")
}

// finish writes the blobs of items not written yet, index.json,
// manifest.json and the end of the tar. The blobs written before must be
// the first of items' (blobOrder), or the bytes would differ from
// WriteNamed's: finish then fails with ErrNotInPlace.
func (t *tarWriter) finish(ctx context.Context, items []Named, tags [][]oci.Tag) error {
	blobs := blobOrder(items)
	for i, p := range t.written {
		if i >= len(blobs) || oci.BlobPath(blobs[i].Descriptor) != p {
			return fmt.Errorf("tarball: write: %w: blob %d of the tarball is %s, not the one Write puts there", ErrNotInPlace, i+1, p)
		}
	}
	for _, b := range blobs[len(t.written):] {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("tarball: write: %w", err)
		}
		if err := t.blobEntry(ctx, b); err != nil {
			return err
		}
	}
	index, err := json.Marshal(tarballIndex(items, tags))
	if err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	if err := t.small("index.json", index); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	if err := t.small("manifest.json", dockerManifest(items, tags)); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	if _, err := t.w.Write(zeros[:]); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	return nil
}

// blobOrder returns the blobs of items, each once, in a tarball's order:
// the layers, then the rest, each in the order of the items' Blobs.
func blobOrder(items []Named) []image.Blob {
	var layers, rest []image.Blob
	seen := map[string]bool{}
	for _, it := range items {
		for _, b := range it.Artifact.Blobs() {
			p := oci.BlobPath(b.Descriptor)
			if seen[p] {
				continue
			}
			seen[p] = true
			if b.Layer() != nil {
				layers = append(layers, b)
			} else {
				rest = append(rest, b)
			}
		}
	}
	return append(layers, rest...)
}

// blobEntry writes b's entry, after its directory's if that is not
// written yet.
func (t *tarWriter) blobEntry(ctx context.Context, b image.Blob) error {
	p := oci.BlobPath(b.Descriptor)
	if err := t.dir(path.Dir(p) + "/"); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	size := b.Descriptor.Size
	if err := t.header(fileHeader(p, size)); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	if err := t.blob(ctx, b, size); err != nil {
		return fmt.Errorf("tarball: write: %s: %w", p, err)
	}
	t.wrote(p)
	return nil
}

// wrote records the blob entry p as written.
func (t *tarWriter) wrote(p string) {
	t.written = append(t.written, p)
	t.blobs[p] = true
}

// has reports whether the blob entry p is written.
func (t *tarWriter) has(p string) bool { return t.blobs[p] }

// dir writes the entry of the directory name ("blobs/"), once.
func (t *tarWriter) dir(name string) error {
	if t.dirs[name] {
		return nil
	}
	t.dirs[name] = true
	return t.header(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: epoch})
}

// small writes the file name holding data.
func (t *tarWriter) small(name string, data []byte) error {
	if err := t.header(fileHeader(name, int64(len(data)))); err != nil {
		return err
	}
	if _, err := t.w.Write(data); err != nil {
		return err
	}
	return t.pad(int64(len(data)))
}

func fileHeader(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: epoch}
}

// header writes h's header blocks; h.Size bytes of content and the padding
// must follow.
func (t *tarWriter) header(h *tar.Header) error {
	hdr, err := t.format(h)
	if err != nil {
		return err
	}
	_, err = t.w.Write(hdr)
	return err
}

// format returns h's header blocks, valid until the next call.
func (t *tarWriter) format(h *tar.Header) ([]byte, error) {
	t.hdr.Reset()
	// A Writer of its own formats the header (USTAR, or PAX where USTAR
	// cannot hold a value) and is dropped before any content.
	if err := tar.NewWriter(&t.hdr).WriteHeader(h); err != nil {
		return nil, err
	}
	return t.hdr.Bytes(), nil
}

// blob copies b's size bytes and pads them to a whole block.
func (t *tarWriter) blob(ctx context.Context, b image.Blob, size int64) error {
	rc, err := b.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	var n int64
	if t.file != nil && b.Layer() != nil && size >= directCopy {
		// A large layer goes straight to the file, which lets a spilled
		// one be copied in the kernel; the layer's reader checks ctx.
		if t.flush != nil {
			if err := t.flush(); err != nil {
				return err
			}
		}
		n, err = io.Copy(t.file, rc)
		if err != nil && t.fileErr != nil {
			err = t.fileErr(err)
		}
	} else {
		n, err = io.Copy(t.w, oci.CtxReader{Ctx: ctx, R: rc})
	}
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%w: %d bytes, want %d", layer.ErrDigestMismatch, n, size)
	}
	return t.pad(size)
}

// directCopy is the size from which a layer is copied to the file
// directly rather than through the buffer.
const directCopy = 1 << 20

const blockSize = 512

var zeros [2 * blockSize]byte

// pad writes the zeros that fill a size-byte entry's last block.
func (t *tarWriter) pad(size int64) error {
	_, err := t.w.Write(zeros[:(blockSize-size%blockSize)%blockSize])
	return err
}

// fileWriter is the buffered file WriteFile hands Write.
type fileWriter struct {
	f       *os.File
	bw      *bufio.Writer
	fileErr func(error) error // names f's errors after the target
}

func (w *fileWriter) Write(p []byte) (int, error) { return w.bw.Write(p) }

// primary returns the image a docker manifest.json lists: a itself, or
// an index's linux/amd64 image, else its first; nil for neither.
func primary(a image.Artifact) *image.Image {
	if img, err := image.Select(a, image.Platform{OS: "linux", Architecture: "amd64"}); err == nil {
		return img
	}
	if imgs := a.Images(); len(imgs) > 0 {
		return imgs[0]
	}
	return nil
}

// parseTags parses each item's tags, refusing a name two items share.
func parseTags(items []Named) ([][]oci.Tag, error) {
	tags := make([][]oci.Tag, len(items))
	owner := map[string]int{}
	for i, it := range items {
		for _, s := range it.Tags {
			t, err := oci.ParseTag("tarball", s, image.ErrInvalidTag)
			if err != nil {
				return nil, err
			}
			if j, ok := owner[t.Key()]; ok && j != i {
				return nil, fmt.Errorf("tarball: tag %q names two artifacts (%d and %d): %w; give each its own name", s, j+1, i+1, image.ErrInvalidTag)
			}
			owner[t.Key()] = i
			tags[i] = append(tags[i], t)
		}
	}
	return tags, nil
}

// tarballIndex returns the index.json of a tarball: each item's
// descriptor once per tag, or once untagged.
func tarballIndex(items []Named, tags [][]oci.Tag) ocispec.Index {
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	for i, it := range items {
		desc := it.Artifact.Descriptor()
		if len(tags[i]) == 0 {
			idx.Manifests = append(idx.Manifests, desc)
		}
		for _, t := range tags[i] {
			d := desc
			d.Annotations = t.Annotations()
			idx.Manifests = append(idx.Manifests, d)
		}
	}
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	return idx
}

// dockerEntry is one image of a docker archive's manifest.json.
type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// dockerManifest returns manifest.json: an entry for each item's primary
// image, with its tags; "[]" when no item is an image.
func dockerManifest(items []Named, tags [][]oci.Tag) []byte {
	es := []dockerEntry{}
	for i, it := range items {
		img := primary(it.Artifact)
		if img == nil {
			continue
		}
		e := dockerEntry{Config: oci.BlobPath(img.ConfigDescriptor()), RepoTags: []string{}, Layers: []string{}}
		for _, t := range tags[i] {
			if t.Short != "" && !slices.Contains(e.RepoTags, t.Short) {
				e.RepoTags = append(e.RepoTags, t.Short)
			}
		}
		for _, l := range img.Layers() {
			e.Layers = append(e.Layers, oci.BlobPath(l.Descriptor()))
		}
		es = append(es, e)
	}
	b, err := json.Marshal(es)
	if err != nil {
		panic("tarball: encode manifest.json: " + err.Error())
	}
	return b
}

// WriteFile writes the tarball of a to the file path, as Write does,
// through a temporary file in the same directory that is synced and
// renamed into place: a failed or cancelled write leaves what was at path
// before, and no partial file. The file gets mode 0666 less the umask.
func WriteFile(ctx context.Context, path string, a image.Artifact, opts Options) error {
	return WriteFileNamed(ctx, path, []Named{{Artifact: a, Tags: opts.Tags}})
}

// WriteFileNamed writes the tarball of several artifacts (see WriteNamed)
// to the file path, atomically, as WriteFile does.
func WriteFileNamed(ctx context.Context, path string, items []Named) error {
	if _, err := parseTags(items); err != nil {
		return err
	}
	f, err := Create(path)
	if err != nil {
		return err
	}
	return f.Commit(ctx, items)
}
