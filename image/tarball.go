package image

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TarballOptions control WriteTarball. The zero value writes an untagged
// tarball.
type TarballOptions struct {
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

// WriteTarball writes v (an *Image or an *Index) to w as one tar file that
// is both an OCI image layout (oci-layout, index.json, blobs/) and a
// docker archive (manifest.json), so that docker load, podman load,
// skopeo's oci-archive: and docker-archive:, crane and ctr images import
// all read it.
//
// manifest.json lists one image, as docker load can give a tag to only
// one: for an *Index, its linux/amd64 image if it has one, else its
// first. The index itself, with every platform, is what index.json names.
// A layer shared by several images is stored once.
//
// The bytes are deterministic: entries sorted by name, dated the Unix
// epoch, owned by 0:0, mode 0644 (0755 for directories), USTAR headers
// unless a blob is larger than USTAR can say. Layers stream from
// layer.Layer.Compressed into w; nothing is held whole in memory beyond
// the JSON. WriteTarball stops when ctx is cancelled. It does not close w.
func WriteTarball(ctx context.Context, w io.Writer, v Artifact, opts TarballOptions) error {
	tags := make([]dockerTag, len(opts.Tags))
	for i, s := range opts.Tags {
		t, err := parseDockerTag(s)
		if err != nil {
			return err
		}
		tags[i] = t
	}
	type entry struct {
		name string
		b    blob
		dir  bool
	}
	var ents []entry
	dirs := map[string]bool{"blobs/": true}
	for _, b := range v.blobs() {
		p := blobPath(b.desc)
		dirs[path.Dir(p)+"/"] = true
		ents = append(ents, entry{name: p, b: b})
	}
	for d := range dirs {
		ents = append(ents, entry{name: d, dir: true})
	}
	ents = append(ents,
		entry{name: "oci-layout", b: blob{data: []byte(ociLayoutFile)}},
		entry{name: "index.json", b: blob{data: mustJSON(tarballIndex(v, tags))}},
		entry{name: "manifest.json", b: blob{data: dockerManifest(v.primary(), tags)}},
	)
	slices.SortFunc(ents, func(a, b entry) int { return strings.Compare(a.name, b.name) })

	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0)
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("image: write tarball: %w", err)
		}
		if e.dir {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: e.name, Mode: 0o755, ModTime: epoch}); err != nil {
				return fmt.Errorf("image: write tarball: %w", err)
			}
			continue
		}
		size := int64(len(e.b.data))
		if e.b.layer != nil {
			size = e.b.desc.Size
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: size, ModTime: epoch}); err != nil {
			return fmt.Errorf("image: write tarball: %w", err)
		}
		if err := copyBlob(ctx, tw, e.b, size); err != nil {
			return fmt.Errorf("image: write tarball: %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("image: write tarball: %w", err)
	}
	return nil
}

func copyBlob(ctx context.Context, w io.Writer, b blob, size int64) error {
	rc, err := b.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(w, ctxReader{ctx, rc})
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%w: %d bytes, want %d", ErrBlobMismatch, n, size)
	}
	return nil
}

// blobPath returns a blob's path in a layout: blobs/<algorithm>/<hex>.
func blobPath(d ocispec.Descriptor) string {
	return "blobs/" + d.Digest.Algorithm().String() + "/" + d.Digest.Encoded()
}

// tarballIndex returns the index.json of a tarball: v's descriptor once
// per tag, or once untagged.
func tarballIndex(v Artifact, tags []dockerTag) ocispec.Index {
	idx := ocispec.Index{Versioned: specsVersion, MediaType: ocispec.MediaTypeImageIndex}
	desc := v.Descriptor()
	if len(tags) == 0 {
		idx.Manifests = []ocispec.Descriptor{desc}
	}
	for _, t := range tags {
		d := desc
		d.Annotations = map[string]string{ocispec.AnnotationRefName: t.tag, AnnotationContainerdName: t.full}
		idx.Manifests = append(idx.Manifests, d)
	}
	return idx
}

// dockerManifestEntry is one image of a docker archive's manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func dockerManifest(img *Image, tags []dockerTag) []byte {
	e := dockerManifestEntry{Config: blobPath(img.ConfigDescriptor()), RepoTags: []string{}, Layers: []string{}}
	for _, t := range tags {
		if !slices.Contains(e.RepoTags, t.short) {
			e.RepoTags = append(e.RepoTags, t.short)
		}
	}
	for _, l := range img.layers {
		e.Layers = append(e.Layers, blobPath(l.Descriptor()))
	}
	return mustJSON([]dockerManifestEntry{e})
}

// WriteTarballFile writes the tarball of v to the file path, as
// WriteTarball does, through a temporary file in the same directory that
// is synced and renamed into place: a failed or cancelled write leaves
// what was at path before, and no partial file.
func WriteTarballFile(ctx context.Context, path string, v Artifact, opts TarballOptions) error {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var tarErr error
	err := writeAtomic(dir, name, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if tarErr = WriteTarball(ctx, bw, v, opts); tarErr != nil {
			return tarErr
		}
		return bw.Flush()
	})
	switch {
	case tarErr != nil:
		return tarErr
	case err != nil:
		return fmt.Errorf("image: write tarball %s: %w", path, err)
	}
	return nil
}
