package main

// What pull leaves in -o DIR when it fails part-way.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
)

// writePulled writes a, as pulled, into the layout at dir under tag.
// Layers are read from the registry as they are written, so the write
// may fail part-way, after some blobs are in place. When this pull made
// dir, nothing else can name them: they are removed, with dir. In a
// layout that was there before, they are left, since another writer may
// be about to name them, and the error says so: they are checked blobs
// no index entry names, which a later write reuses.
func writePulled(ctx context.Context, dir string, a image.Artifact, tag string) error {
	created, err := makeDir(dir)
	if err != nil {
		return fmt.Errorf("pull: -o %s: %w", dir, err)
	}
	blobs := a.Blobs()
	had := make([]bool, len(blobs))
	for i, b := range blobs {
		had[i] = exists(pulledBlob(dir, b))
	}
	err = layout.Write(ctx, dir, a, layout.Options{Tags: []string{tag}})
	if err == nil {
		return nil
	}
	var added []string
	for i, b := range blobs {
		if p := pulledBlob(dir, b); !had[i] && exists(p) {
			added = append(added, p)
		}
	}
	if created {
		removeNew(dir, added)
		return err
	}
	if len(added) > 0 {
		return fmt.Errorf("%w; this pull left %d checked blobs in %s that no index entry names (the next pull into it reuses them)", err, len(added), filepath.Join(dir, "blobs"))
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

func pulledBlob(dir string, b image.Blob) string {
	d := b.Descriptor.Digest
	return filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded())
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// removeNew removes the blobs a failed pull wrote into dir, which it
// made, and then dir if nothing else is left in it: a write that got
// as far as index.json (another process's) keeps it all.
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
