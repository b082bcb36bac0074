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
	"path/filepath"
	"slices"
	"strings"
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
// The bytes are deterministic: entries sorted by name, dated the Unix
// epoch, owned by 0:0, mode 0644 (0755 for directories), USTAR headers
// unless a blob is larger than USTAR can say. Layers stream from their
// blobs into w; nothing is held whole in memory beyond the JSON. When w is
// an *os.File, a layer spilled to a file is copied by the kernel
// (copy_file_range) where it can. Write stops when ctx is cancelled. It
// does not close w.
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
// one: each blob once, however many artifacts share it; index.json lists
// each artifact once per tag (or once untagged), in order; manifest.json
// lists one image per artifact (chosen as Write chooses it), with its
// tags, so that docker load and podman load load every one under its
// names. Two artifacts may not have a tag of the same full name (or, for
// a tag alone, the same tag).
func WriteNamed(ctx context.Context, w io.Writer, items []Named) error {
	tags, err := parseTags(items)
	if err != nil {
		return err
	}
	type entry struct {
		name string
		b    image.Blob
		dir  bool
	}
	var ents []entry
	dirs := map[string]bool{"blobs/": true}
	seen := map[string]bool{}
	for _, it := range items {
		for _, b := range it.Artifact.Blobs() {
			p := oci.BlobPath(b.Descriptor)
			if seen[p] {
				continue
			}
			seen[p] = true
			dirs[path.Dir(p)+"/"] = true
			ents = append(ents, entry{name: p, b: b})
		}
	}
	for d := range dirs {
		ents = append(ents, entry{name: d, dir: true})
	}
	index, err := json.Marshal(tarballIndex(items, tags))
	if err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	ents = append(ents,
		entry{name: "oci-layout", b: image.BlobFromBytes("", []byte(oci.LayoutFile))},
		entry{name: "index.json", b: image.BlobFromBytes("", index)},
		entry{name: "manifest.json", b: image.BlobFromBytes("", dockerManifest(items, tags))},
	)
	slices.SortFunc(ents, func(a, b entry) int { return strings.Compare(a.name, b.name) })

	tw := &tarWriter{w: w}
	switch f := w.(type) {
	case *fileWriter:
		tw.w, tw.file, tw.flush, tw.fileErr = f.bw, f.f, f.bw.Flush, f.fileErr
	case *os.File:
		tw.file = f
	}
	epoch := time.Unix(0, 0)
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("tarball: write: %w", err)
		}
		if e.dir {
			if err := tw.header(&tar.Header{Typeflag: tar.TypeDir, Name: e.name, Mode: 0o755, ModTime: epoch}); err != nil {
				return fmt.Errorf("tarball: write: %w", err)
			}
			continue
		}
		size := e.b.Descriptor.Size
		if err := tw.header(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: size, ModTime: epoch}); err != nil {
			return fmt.Errorf("tarball: write: %w", err)
		}
		if err := tw.blob(ctx, e.b, size); err != nil {
			return fmt.Errorf("tarball: write: %s: %w", e.name, err)
		}
	}
	if err := tw.close(); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	return nil
}

// tarWriter writes a tar stream as archive/tar's Writer does, byte for
// byte, but lets a blob's bytes go past it: to a file (WriteFile's, or an
// *os.File given to Write), a layer's spill file is then copied by the
// kernel (see layer.Layer.Compressed), not through memory.
type tarWriter struct {
	w       io.Writer
	file    *os.File          // the file under w, or nil
	flush   func() error      // flushes w into file, or nil
	fileErr func(error) error // renames file's errors, or nil
	hdr     bytes.Buffer
}

// header writes h's header blocks; h.Size bytes of content and the padding
// must follow.
func (t *tarWriter) header(h *tar.Header) error {
	t.hdr.Reset()
	// A Writer of its own formats the header (USTAR, or PAX where USTAR
	// cannot hold a value) and is dropped before any content.
	if err := tar.NewWriter(&t.hdr).WriteHeader(h); err != nil {
		return err
	}
	_, err := t.w.Write(t.hdr.Bytes())
	return err
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

// close writes the two zero blocks that end a tar stream.
func (t *tarWriter) close() error {
	_, err := t.w.Write(zeros[:])
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
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var tarErr error
	err := oci.WriteAtomic(dir, name, func(w io.Writer) error {
		fw := &fileWriter{bw: bufio.NewWriterSize(w, 1<<20)}
		// The temporary file itself, so that spilled layers are copied
		// into it by the kernel; its errors must name path, not it.
		if tf, ok := w.(interface {
			File() *os.File
			TargetError(error) error
		}); ok {
			fw.f, fw.fileErr = tf.File(), tf.TargetError
		}
		var out io.Writer = fw.bw
		if fw.f != nil {
			out = fw
		}
		if tarErr = WriteNamed(ctx, out, items); tarErr != nil {
			return tarErr
		}
		return fw.bw.Flush()
	})
	switch {
	case tarErr != nil:
		return tarErr
	case err != nil:
		return fmt.Errorf("tarball: write %s: %w", path, err)
	}
	return nil
}
