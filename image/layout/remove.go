package layout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/oci"
)

// writeOrRemove writes a into dir as Options.RemoveOnError says.
func writeOrRemove(ctx context.Context, dir string, a image.Artifact, tags []oci.Tag) error {
	created, err := makeDir(dir)
	if err != nil {
		return fmt.Errorf("layout: write: %w", err)
	}
	blobs := a.Blobs()
	had := make([]bool, len(blobs))
	for i, b := range blobs {
		had[i] = exists(blobPath(dir, b))
	}
	err = write(ctx, dir, a, tags, (*oci.Pending).Sync)
	if err == nil {
		return nil
	}
	var added []string
	for i, b := range blobs {
		if p := blobPath(dir, b); !had[i] && exists(p) {
			added = append(added, p)
		}
	}
	if created {
		removeNew(dir, added)
		return err
	}
	if len(added) > 0 {
		return fmt.Errorf("%w; this write left %d checked blobs in %s that no index entry names (the next write into it reuses them)", err, len(added), filepath.Join(dir, "blobs"))
	}
	return err
}

// makeDir creates dir, with its parents, and reports whether dir itself
// was made now.
func makeDir(dir string) (bool, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o777); err != nil {
		return false, err
	}
	err := os.Mkdir(dir, 0o777)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return err == nil, err
}

func blobPath(dir string, b image.Blob) string {
	d := b.Descriptor.Digest
	return filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded())
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// removeNew removes the blobs a failed write added to dir, which it
// made, and then dir if nothing else is left in it: a write that got as
// far as index.json (another writer's) keeps it all.
func removeNew(dir string, added []string) {
	if exists(filepath.Join(dir, "index.json")) {
		return
	}
	for _, p := range added {
		os.Remove(p)
	}
	// Each fails, harmlessly, on a directory that is not empty.
	ents, _ := os.ReadDir(filepath.Join(dir, "blobs"))
	for _, e := range ents {
		os.Remove(filepath.Join(dir, "blobs", e.Name()))
	}
	os.Remove(filepath.Join(dir, "blobs"))
	os.Remove(filepath.Join(dir, "oci-layout"))
	os.Remove(dir)
}
