package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// LayoutOptions control WriteLayout. The zero value adds the artifact
// without a name.
type LayoutOptions struct {
	// Tags are the names the artifact gets in index.json, as its
	// descriptor's org.opencontainers.image.ref.name (what skopeo's
	// oci:dir:tag and umoci's dir:tag match): "v1", or a full reference
	// such as "example.com/app:v1". An entry with one of these tags is
	// replaced. Without tags the artifact is added untagged, once.
	Tags []string
}

// WriteLayout writes v (an *Image or an *Index) into the OCI image layout
// at dir, creating dir if needed, and adds it to dir/index.json.
//
// An existing layout keeps every image it holds; only entries with the
// same tags are replaced. A blob already present is hashed, not
// rewritten, and one whose bytes do not match its name is an
// ErrBlobMismatch error. A directory with other files but no oci-layout is
// an ErrNotLayout error, and a corrupt index.json an ErrCorrupt error;
// neither is changed.
//
// The write is atomic for readers: each blob goes to a temporary file in
// its final directory, is synced and renamed, and index.json is replaced
// the same way, last. A write that fails or is interrupted therefore
// leaves the layout as it was, plus maybe unreferenced blobs. Writers are
// serialized with an exclusive flock on dir (within one process too), so
// concurrent WriteLayout calls, from any process, each keep the others'
// tags. WriteLayout stops when ctx is cancelled, also while it waits for
// the lock.
func WriteLayout(ctx context.Context, dir string, v Artifact, opts LayoutOptions) error {
	for _, t := range opts.Tags {
		if err := checkLayoutTag(t); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("image: write layout: %w", err)
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()

	old, err := openLayoutForWrite(dir)
	if err != nil {
		return err
	}
	for _, b := range v.blobs() {
		if err := writeBlob(ctx, dir, b); err != nil {
			return err
		}
	}
	for _, alg := range []string{digest.SHA256.String(), digest.SHA512.String()} {
		if err := syncDir(filepath.Join(dir, "blobs", alg)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("image: write layout: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("image: write layout %s: %w", dir, err)
	}
	idx := mergeIndex(old, v.Descriptor(), opts.Tags)
	if err := writeFileAtomic(dir, "index.json", mustJSON(idx)); err != nil {
		return fmt.Errorf("image: write layout: %w", err)
	}
	return nil
}

const ociLayoutFile = `{"imageLayoutVersion":"1.0.0"}`

// openLayoutForWrite checks that dir is an OCI layout, or empty, and
// returns its index. An empty dir gets its oci-layout file first, so that
// an interrupted first write leaves a layout without index.json, which
// reads as empty.
func openLayoutForWrite(dir string) (ocispec.Index, error) {
	empty := ocispec.Index{Versioned: specsVersion, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	if err := checkOCILayoutFile(dir); errors.Is(err, fs.ErrNotExist) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return empty, fmt.Errorf("image: write layout: %w", err)
		}
		if len(ents) > 0 {
			return empty, fmt.Errorf("image: write layout %s: %w: it holds %q but no oci-layout file; write to a new or empty directory", dir, ErrNotLayout, ents[0].Name())
		}
		if err := writeFileAtomic(dir, "oci-layout", []byte(ociLayoutFile)); err != nil {
			return empty, fmt.Errorf("image: write layout: %w", err)
		}
		return empty, nil
	} else if err != nil {
		return empty, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return empty, fmt.Errorf("image: write layout: %w", err)
	}
	idx, err := parseIndex(data)
	if err != nil {
		return empty, fmt.Errorf("image: write layout: %s: %w; fix or remove it (it was left untouched)", filepath.Join(dir, "index.json"), err)
	}
	return idx, nil
}

// checkOCILayoutFile reads dir/oci-layout; it wraps fs.ErrNotExist when
// the file is missing.
func checkOCILayoutFile(dir string) error {
	p := filepath.Join(dir, "oci-layout")
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("image: layout %s: %w", dir, err)
	}
	var l ocispec.ImageLayout
	if err := json.Unmarshal(data, &l); err != nil {
		return fmt.Errorf("image: %s: %w: %v", p, ErrCorrupt, err)
	}
	if l.Version != ocispec.ImageLayoutVersion {
		return fmt.Errorf("image: %s: %w: version %q, want %q", p, ErrNotLayout, l.Version, ocispec.ImageLayoutVersion)
	}
	return nil
}

// mergeIndex returns old with desc added under tags, replacing entries
// with those tags; without tags, desc is added untagged unless it already
// is.
func mergeIndex(old ocispec.Index, desc ocispec.Descriptor, tags []string) ocispec.Index {
	idx := old
	idx.SchemaVersion, idx.MediaType = 2, ocispec.MediaTypeImageIndex
	idx.Manifests = nil
	for _, d := range old.Manifests {
		ref := d.Annotations[ocispec.AnnotationRefName]
		if len(tags) > 0 && slices.Contains(tags, ref) {
			continue
		}
		if len(tags) == 0 && ref == "" && d.Digest == desc.Digest {
			continue
		}
		idx.Manifests = append(idx.Manifests, d)
	}
	if len(tags) == 0 {
		idx.Manifests = append(idx.Manifests, desc)
	}
	for i, t := range tags {
		if slices.Contains(tags[:i], t) {
			continue
		}
		d := desc
		d.Annotations = map[string]string{ocispec.AnnotationRefName: t}
		idx.Manifests = append(idx.Manifests, d)
	}
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	return idx
}

// writeBlob writes b into dir's blobs, or checks the copy already there.
func writeBlob(ctx context.Context, dir string, b blob) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("image: write layout %s: %w", dir, err)
	}
	d := b.desc.Digest
	bdir := filepath.Join(dir, "blobs", d.Algorithm().String())
	p := filepath.Join(bdir, d.Encoded())
	if st, err := os.Lstat(p); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("image: write layout: blob %s: %w: not a regular file; remove it and write again", p, ErrBlobMismatch)
		}
		return verifyBlobFile(ctx, p, b.desc)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("image: write layout: %w", err)
	}
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		return fmt.Errorf("image: write layout: %w", err)
	}
	src, err := b.open()
	if err != nil {
		return fmt.Errorf("image: write layout: blob %s: %w", d, err)
	}
	defer src.Close()
	err = writeAtomic(bdir, d.Encoded(), func(w io.Writer) error {
		n, err := io.Copy(w, ctxReader{ctx, src})
		if err != nil {
			return fmt.Errorf("blob %s: %w", d, err)
		}
		if n != b.desc.Size {
			return fmt.Errorf("blob %s: %w: %d bytes, want %d", d, ErrBlobMismatch, n, b.desc.Size)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("image: write layout %s: %w", dir, err)
	}
	return nil
}

// verifyBlobFile hashes the file at p and compares it with desc.
func verifyBlobFile(ctx context.Context, p string, desc ocispec.Descriptor) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("image: layout: %w", err)
	}
	defer f.Close()
	v := desc.Digest.Verifier()
	n, err := io.Copy(v, ctxReader{ctx, f})
	if err != nil {
		return fmt.Errorf("image: layout: blob %s: %w", p, err)
	}
	if n != desc.Size || !v.Verified() {
		return fmt.Errorf("image: layout: blob %s: %w (%d bytes, want %d); remove the file and write again", p, ErrBlobMismatch, n, desc.Size)
	}
	return nil
}

// open returns a reader of the blob's bytes.
func (b blob) open() (io.ReadCloser, error) {
	if b.layer != nil {
		return b.layer.Compressed()
	}
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// writeFileAtomic replaces dir/name with data, durably.
func writeFileAtomic(dir, name string, data []byte) error {
	if err := writeAtomic(dir, name, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeAtomic writes dir/name through a temporary file in dir that is
// synced and renamed, and removed on failure.
func writeAtomic(dir, name string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(dir, ".tmp-"+name[:min(len(name), 16)]+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}

// ctxReader stops reading when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
