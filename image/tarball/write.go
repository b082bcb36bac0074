package tarball

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/oci"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options control Write and WriteFile. The zero value writes an untagged
// tarball.
type Options struct {
	// Tags are docker references, "name" or "name:tag" (a bare name gets
	// ":latest"), such as "app:v1" or "example.com/team/app:v1". Each
	// goes into manifest.json's RepoTags as "name:tag", and into
	// index.json as a descriptor whose org.opencontainers.image.ref.name
	// is the tag alone ("v1", as docker save writes it; what skopeo's
	// oci-archive:file.tar:v1 matches) and whose io.containerd.image.name
	// is the full name ("docker.io/library/app:v1", what containerd and
	// docker 25+ read).
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
// blobs into w; nothing is held whole in memory beyond the JSON. Write
// stops when ctx is cancelled. It does not close w.
func Write(ctx context.Context, w io.Writer, a image.Artifact, opts Options) error {
	tags := make([]oci.DockerTag, len(opts.Tags))
	for i, s := range opts.Tags {
		t, err := oci.ParseDockerTag("tarball", s, image.ErrInvalidTag)
		if err != nil {
			return err
		}
		tags[i] = t
	}
	type entry struct {
		name string
		b    image.Blob
		dir  bool
	}
	var ents []entry
	dirs := map[string]bool{"blobs/": true}
	for _, b := range a.Blobs() {
		p := oci.BlobPath(b.Descriptor)
		dirs[path.Dir(p)+"/"] = true
		ents = append(ents, entry{name: p, b: b})
	}
	for d := range dirs {
		ents = append(ents, entry{name: d, dir: true})
	}
	index, err := json.Marshal(tarballIndex(a, tags))
	if err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	ents = append(ents,
		entry{name: "oci-layout", b: image.BlobFromBytes("", []byte(oci.LayoutFile))},
		entry{name: "index.json", b: image.BlobFromBytes("", index)},
		entry{name: "manifest.json", b: image.BlobFromBytes("", dockerManifest(primary(a), tags))},
	)
	slices.SortFunc(ents, func(a, b entry) int { return strings.Compare(a.name, b.name) })

	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0)
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("tarball: write: %w", err)
		}
		if e.dir {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: e.name, Mode: 0o755, ModTime: epoch}); err != nil {
				return fmt.Errorf("tarball: write: %w", err)
			}
			continue
		}
		size := e.b.Descriptor.Size
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: size, ModTime: epoch}); err != nil {
			return fmt.Errorf("tarball: write: %w", err)
		}
		if err := copyBlob(ctx, tw, e.b, size); err != nil {
			return fmt.Errorf("tarball: write: %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	return nil
}

func copyBlob(ctx context.Context, w io.Writer, b image.Blob, size int64) error {
	rc, err := b.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(w, oci.CtxReader{Ctx: ctx, R: rc})
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%w: %d bytes, want %d", image.ErrBlobMismatch, n, size)
	}
	return nil
}

// primary returns the image a docker manifest.json lists: a itself, or
// an index's linux/amd64 image, else its first; nil for neither.
func primary(a image.Artifact) *image.Image {
	switch a := a.(type) {
	case *image.Image:
		return a
	case *image.Index:
		if img := a.Image(image.Platform{OS: "linux", Architecture: "amd64"}); img != nil {
			return img
		}
		if imgs := a.Images(); len(imgs) > 0 {
			return imgs[0]
		}
	}
	return nil
}

// tarballIndex returns the index.json of a tarball: a's descriptor once
// per tag, or once untagged.
func tarballIndex(a image.Artifact, tags []oci.DockerTag) ocispec.Index {
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	desc := a.Descriptor()
	if len(tags) == 0 {
		idx.Manifests = []ocispec.Descriptor{desc}
	}
	for _, t := range tags {
		d := desc
		d.Annotations = map[string]string{ocispec.AnnotationRefName: t.Tag, oci.AnnotationContainerdName: t.Full}
		idx.Manifests = append(idx.Manifests, d)
	}
	return idx
}

// dockerEntry is one image of a docker archive's manifest.json.
type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func dockerManifest(img *image.Image, tags []oci.DockerTag) []byte {
	if img == nil {
		return []byte("[]")
	}
	e := dockerEntry{Config: oci.BlobPath(img.ConfigDescriptor()), RepoTags: []string{}, Layers: []string{}}
	for _, t := range tags {
		if !slices.Contains(e.RepoTags, t.Short) {
			e.RepoTags = append(e.RepoTags, t.Short)
		}
	}
	for _, l := range img.Layers() {
		e.Layers = append(e.Layers, oci.BlobPath(l.Descriptor()))
	}
	b, err := json.Marshal([]dockerEntry{e})
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
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var tarErr error
	err := oci.WriteAtomic(dir, name, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if tarErr = Write(ctx, bw, a, opts); tarErr != nil {
			return tarErr
		}
		return bw.Flush()
	})
	switch {
	case tarErr != nil:
		return tarErr
	case err != nil:
		return fmt.Errorf("tarball: write %s: %w", path, err)
	}
	return nil
}
