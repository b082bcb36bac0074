// Package rootfs reads the filesystem an image's layers make, applied
// bottom first as a container runtime extracts them: a whiteout file
// (".wh.NAME") deletes NAME and what is beneath it in the layers below,
// an opaque whiteout (".wh..wh..opq") empties its directory of what the
// layers below put there, a non-directory replacing a directory hides
// its contents, and no whiteout appears itself.
//
// [Walk] and [Write] stream: each reads the layers twice, headers only
// the first time, and holds a few words per path of the image and a
// header per directory, never a file's contents. [ReadFile] returns one
// file. Layer bytes are checked against their digests as they are read.
package rootfs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// Walk calls fn with each entry of img's filesystem, in an order every
// extractor accepts: a directory, with its topmost entry's metadata,
// before anything beneath it; a hard link after its target, also when
// the target is in a lower layer; otherwise in layer order, bottom
// first, each layer's own order kept. Of one path listed twice in a
// layer, the last counts.
//
// Headers are as [Write] writes them: names relative and cleaned, a
// directory's ending in "/"; every regular file is tar.TypeReg; a hard
// link names its target file itself, not a link in between; PAX records
// other than extended attributes are dropped. A hard link whose target a
// higher layer deletes or replaces keeps the content it had: the first
// such link becomes a regular file, in the target's place, and the
// others link to it. r reads a regular file's content; it is valid only
// until fn returns. The root directory and whiteout files are left out,
// as are parent directories no layer lists.
//
// If fn returns [layer.ErrStopWalk], Walk stops without an error; any
// other error from fn stops it and is returned as it is.
func Walk(ctx context.Context, img *image.Image, fn func(h *tar.Header, r io.Reader) error) error {
	layers := img.Layers()
	fl, err := scan(ctx, layers)
	if err != nil {
		return err
	}
	for i, l := range layers {
		var fnErr error
		err := eachEntry(ctx, l, true, func(seq int, h *tar.Header, body io.Reader) error {
			fnErr = fl.emit(entryAt{i, seq}, h, body, fn)
			return fnErr
		})
		switch {
		case errors.Is(fnErr, layer.ErrStopWalk):
			return nil
		case fnErr != nil:
			return fnErr
		case err != nil:
			return fmt.Errorf("rootfs: layer %d (%s): %w", i+1, l.Digest(), err)
		}
	}
	return nil
}

// Write writes img's filesystem to w as one plain tar: the entries Walk
// gives, with their contents. It is what `minimage export` writes.
func Write(ctx context.Context, w io.Writer, img *image.Image) error {
	tw := tar.NewWriter(w)
	err := Walk(ctx, img, func(h *tar.Header, r io.Reader) error {
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("rootfs: write %s: %w", h.Name, err)
		}
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		if _, err := io.Copy(tw, r); err != nil {
			return fmt.Errorf("rootfs: write %s: %w", h.Name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("rootfs: write: %w", err)
	}
	return nil
}

// ReadFile returns the entry of img's filesystem at name (such as
// "/etc/passwd" or "etc/passwd") as Walk gives it, and the content of the
// file it is: a regular file's bytes, a hard link's target's bytes, and
// nil for any other entry. A path that is not in the filesystem, or that
// no layer lists (the root, a parent directory left implicit), gives an
// error that wraps fs.ErrNotExist. The content is held in memory; to
// stream a large file, use Walk.
func ReadFile(ctx context.Context, img *image.Image, name string) (*tar.Header, []byte, error) {
	p := cleanPath(name)
	layers := img.Layers()
	fl, err := scan(ctx, layers)
	if err != nil {
		return nil, nil, err
	}
	s, ok := fl.paths[p]
	if p == "/" || !ok || s.top.layer < 0 || !fl.final(p, s.top) {
		return nil, nil, fmt.Errorf("rootfs: %s: %w", p, fs.ErrNotExist)
	}
	// The content a hard link shares is written, in the walk, under the
	// name of its target, or under the first of the links that carry it.
	from := p
	if hl := fl.links[s.top]; s.typ == tar.TypeLink && hl.ok {
		from = hl.targetPath
		if carried := fl.carry[hl.target]; slices.Contains(carried, p) {
			from = carried[0]
		}
	}
	var hdr *tar.Header
	var data []byte
	err = Walk(ctx, img, func(h *tar.Header, r io.Reader) error {
		n := cleanPath(h.Name)
		if n == from && h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(r)
			if err != nil {
				return fmt.Errorf("rootfs: read %s: %w", from, err)
			}
			data = b
		}
		if n == p {
			hdr = h
			return layer.ErrStopWalk
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if hdr == nil {
		return nil, nil, fmt.Errorf("rootfs: %s: %w", p, fs.ErrNotExist)
	}
	return hdr, data, nil
}
