package layout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/oci"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options control Write. The zero value adds the artifact without a name.
type Options struct {
	// Tags are the names the artifact gets in index.json, each as
	// containerd, docker and oras write them, and as tarball.Options.Tags
	// are: a tag alone ("v1") becomes the descriptor's
	// org.opencontainers.image.ref.name; a docker reference NAME:TAG
	// ("ghcr.io/me/app:v1", "app:v1"; NAME alone means NAME:latest) puts
	// its TAG there ("v1", what skopeo's oci:DIR:v1, umoci's DIR:v1 and
	// oras's DIR:v1 match) and its full name in io.containerd.image.name
	// ("docker.io/library/app:v1" for "app:v1"). An entry with the same
	// name is replaced, also one an earlier version wrote with the whole
	// reference as its ref.name. Without tags the artifact is added
	// untagged, once.
	Tags []string
	// RemoveOnError, for a writer alone in dir (a pull into a new
	// directory, say), makes a Write that fails part-way take back what
	// it wrote: the blobs it added and, when it made dir, dir itself.
	// In a layout that was there before it leaves them, since another
	// writer may be about to name them, and its error says how many it
	// left: checked blobs that a later Write reuses.
	RemoveOnError bool
}

// Write writes a (an *image.Image, *image.Index or *image.Manifest, or
// any image.Artifact) into the OCI image layout at dir, creating dir if
// needed, and adds it to dir/index.json.
//
// An existing layout keeps every image it holds; only entries with the
// same names (see Options.Tags) are replaced. A blob already present is checked, not
// rewritten: one of the wrong size, or whose bytes do not match its name,
// is an layer.ErrDigestMismatch error. A directory with other files but no
// oci-layout is an ErrNotLayout error, and a corrupt index.json an
// image.ErrCorrupt error; neither is changed.
//
// The write is atomic for readers: the blobs are read and written, four
// at once, each to a temporary file in its final directory; then they are
// all synced and renamed, and index.json is replaced the same way, last.
// A layer whose blob was spilled to a file on dir's file system (see
// SpillDir) is not copied: its synced file is linked into place
// (layer.Layer.Link), which is atomic too. A write that fails or is
// interrupted therefore leaves the layout as it was, plus maybe
// unreferenced blobs, each whole and synced (the ones read in full before
// the failure). Files get mode 0666 less the umask.
//
// Write is safe for concurrent use, from any number of goroutines and
// processes writing into one layout: blobs are named by their digest, so
// writers store them side by side, and only the read, merge and
// replacement of index.json is serialized, by an exclusive flock on dir;
// each writer keeps the others' tags. Write stops when ctx is cancelled,
// also while it waits for the lock.
func Write(ctx context.Context, dir string, a image.Artifact, opts Options) error {
	tags := make([]oci.Tag, len(opts.Tags))
	for i, s := range opts.Tags {
		t, err := oci.ParseTag("layout", s, image.ErrInvalidTag)
		if err != nil {
			return err
		}
		tags[i] = t
	}
	if opts.RemoveOnError {
		return writeOrRemove(ctx, dir, a, tags)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("layout: write: %w", err)
	}
	return write(ctx, dir, a, tags, (*oci.Pending).Sync)
}

// write writes a into dir, which exists, syncing each blob with sync
// (Pending.Sync; tests watch the order through it).
func write(ctx context.Context, dir string, a image.Artifact, tags []oci.Tag, sync func(*oci.Pending) error) error {
	if err := prepare(ctx, dir); err != nil {
		return err
	}
	bw := &blobWriter{dir: dir, sync: sync}
	if err := bw.write(ctx, a.Blobs()); err != nil {
		return err
	}
	// Also syncs the names of blobs another writer renamed into place
	// and this one found there: index.json names them only after this.
	for _, alg := range []string{digest.SHA256.String(), digest.SHA512.String()} {
		if err := oci.SyncDir(filepath.Join(dir, "blobs", alg)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("layout: write: %w", err)
		}
	}
	return addToIndex(ctx, dir, a.Descriptor(), tags)
}

// prepare checks that dir is a layout whose index.json parses, or makes
// an empty dir a layout, before any blob is written. Making one takes
// the lock, so that two first writers do not each take the other's
// temporary oci-layout file for a foreign file.
func prepare(ctx context.Context, dir string) error {
	if _, err := os.Lstat(filepath.Join(dir, "oci-layout")); err != nil {
		unlock, err := lockDir(ctx, dir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	_, err := openForWrite(dir)
	return err
}

// addToIndex adds desc under tags to dir's index.json, holding the lock
// from the read of index.json to its replacement. The directory is synced
// after the lock is let go: until then a crash leaves the index.json
// before, or this one, both complete, and a writer that takes the lock
// next builds on this one.
func addToIndex(ctx context.Context, dir string, desc ocispec.Descriptor, tags []oci.Tag) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("layout: write %s: %w", dir, err)
	}
	if err := replaceIndex(ctx, dir, desc, tags); err != nil {
		return err
	}
	if err := oci.SyncDir(dir); err != nil {
		return fmt.Errorf("layout: write: %w", err)
	}
	return nil
}

// replaceIndex reads, merges and replaces index.json under the lock.
func replaceIndex(ctx context.Context, dir string, desc ocispec.Descriptor, tags []oci.Tag) error {
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	old, err := openForWrite(dir)
	if err != nil {
		return err
	}
	data, err := json.Marshal(mergeIndex(old, desc, tags))
	if err != nil {
		return fmt.Errorf("layout: write: %w", err)
	}
	if err := oci.WriteAtomic(dir, "index.json", func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("layout: write: %w", err)
	}
	return nil
}

// openForWrite checks that dir is an OCI layout, or empty, and
// returns its index. An empty dir gets its oci-layout file first, so that
// an interrupted first write leaves a layout without index.json, which
// reads as empty.
func openForWrite(dir string) (ocispec.Index, error) {
	empty := emptyIndex()
	fsys := dirFS(dir)
	if _, err := fs.Stat(fsys, "oci-layout"); errors.Is(err, fs.ErrNotExist) {
		if err := CheckDir(dir); err != nil {
			return empty, err
		}
		if err := oci.WriteFileAtomic(dir, "oci-layout", []byte(oci.LayoutFile)); err != nil {
			return empty, fmt.Errorf("layout: write: %w", err)
		}
		return empty, nil
	}
	if err := checkLayoutFile(fsys, dir); err != nil {
		return empty, err
	}
	data, err := readSmall(fsys, "index.json")
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return empty, fmt.Errorf("layout: write %s: index.json: %w; fix or remove it (it was left untouched)", dir, err)
	}
	idx, err := parseIndex(data)
	if err != nil {
		return empty, fmt.Errorf("layout: write: %s: %w; fix or remove it (it was left untouched)", filepath.Join(dir, "index.json"), err)
	}
	return idx, nil
}

// mergeIndex returns old with desc added under tags, replacing entries
// with the same names (oci.EntryKey); without tags, desc is added
// untagged unless it already is.
func mergeIndex(old ocispec.Index, desc ocispec.Descriptor, tags []oci.Tag) ocispec.Index {
	idx := old
	idx.SchemaVersion, idx.MediaType = 2, ocispec.MediaTypeImageIndex
	idx.Manifests = nil
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = t.Key()
	}
	for _, d := range old.Manifests {
		if slices.Contains(keys, oci.EntryKey(d.Annotations)) {
			continue
		}
		if len(tags) == 0 && d.Annotations[ocispec.AnnotationRefName] == "" && d.Digest == desc.Digest {
			continue
		}
		idx.Manifests = append(idx.Manifests, d)
	}
	if len(tags) == 0 {
		idx.Manifests = append(idx.Manifests, desc)
	}
	for i, t := range tags {
		if slices.Contains(keys[:i], keys[i]) {
			continue
		}
		d := desc
		d.Annotations = t.Annotations()
		idx.Manifests = append(idx.Manifests, d)
	}
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	return idx
}

// CheckDir reports whether Write can make dir a layout or add to it: it
// is an OCI layout (it has an oci-layout file), or it is empty but for
// the temporary oci-layout file of a writer making it one. Anything else
// is an error wrapping ErrNotLayout that names what dir holds. A tool that
// checks its outputs before work (build.Recipe.Validate) calls it, so that
// it and Write agree.
func CheckDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err == nil {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("layout: %w", err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), oci.TempPrefix("oci-layout")) {
			return fmt.Errorf("layout: write %s: %w: it holds %q but no oci-layout file; write to a new or empty directory", dir, ErrNotLayout, e.Name())
		}
	}
	return nil
}
