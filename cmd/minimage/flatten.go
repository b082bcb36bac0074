package main

// exportTar flattens an image's layers into one tar, streamed.
//
// It reads the layers twice, bottom first both times. The first pass
// reads only the headers and works out which entry of which layer is in
// the final filesystem: the topmost one of each path, unless a higher
// layer deletes it (a whiteout ".wh.NAME", an opaque whiteout
// ".wh..wh..opq" in a parent, or a parent replaced by a non-directory).
// The second pass copies those entries, with their content, in layer
// order, so that a hard link comes after its target, also when the
// target is in a lower layer; a directory is written with its topmost
// entry's metadata before the first entry beneath it. A hard link whose
// target a higher layer deletes or replaces keeps the content it had: the
// target's content is written under the link's name where the target
// was, and further links to it point there.
//
// Memory is a few words per path of the image and a header per
// directory, never file contents. Whiteout files are not written. The
// order of a layer's own entries is kept, and of one path listed twice
// in a layer, the last counts, as when a runtime extracts it.

import (
	"archive/tar"
	"context"
	"io"
	"path"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// entryAt names one entry: the layer it is in and its place there.
type entryAt struct{ layer, seq int }

// pathState is what the first pass learns of one path.
type pathState struct {
	top     entryAt // the topmost entry of the path
	typ     byte    // its type flag
	deleted int     // the highest layer that deletes the path; -1 none
	hidden  int     // the highest layer that hides what is beneath it; -1 none
	// dir is the header of the topmost entry when it is a directory,
	// written (second pass) before anything beneath it.
	dir     *tar.Header
	written bool
}

// hardlink is a hard link entry and the regular file entry it shares an
// inode with, links to links followed.
type hardlink struct {
	at         entryAt
	name       string // the link's path, cleaned and absolute
	target     entryAt
	targetPath string
	ok         bool // the target is a regular file entry
}

type flattener struct {
	paths map[string]*pathState
	links map[entryAt]hardlink
	order []entryAt // of links, in stream order
	// carry maps a target that is not in the final filesystem to the
	// links that keep its content, in stream order; carried marks those
	// links, written in their target's place.
	carry   map[entryAt][]string
	carried map[string]bool
}

func exportTar(ctx context.Context, w io.Writer, img *image.Image) error {
	fl := &flattener{paths: map[string]*pathState{}, links: map[entryAt]hardlink{}, carry: map[entryAt][]string{}, carried: map[string]bool{}}
	layers := img.Layers()
	for i, l := range layers {
		if err := eachEntry(ctx, l, false, func(seq int, h *tar.Header, _ io.Reader) error {
			fl.scan(entryAt{i, seq}, h)
			return nil
		}); err != nil {
			return err
		}
	}
	for _, v := range fl.order {
		hl := fl.links[v]
		if hl.ok && fl.final(hl.name, hl.at) && !fl.final(hl.targetPath, hl.target) {
			fl.carry[hl.target] = append(fl.carry[hl.target], hl.name)
		}
	}
	tw := tar.NewWriter(w)
	for i, l := range layers {
		if err := eachEntry(ctx, l, true, func(seq int, h *tar.Header, body io.Reader) error {
			return fl.write(tw, entryAt{i, seq}, h, body)
		}); err != nil {
			return err
		}
	}
	return tw.Close()
}

// scan records one entry of the first pass.
func (fl *flattener) scan(v entryAt, h *tar.Header) {
	p := cleanPath(h.Name)
	if p == "/" {
		return
	}
	dir, base := path.Split(p)
	switch {
	case base == ".wh..wh..opq":
		fl.state(path.Clean(dir)).hide(v.layer)
		return
	case strings.HasPrefix(base, ".wh..wh."):
		return // other overlay metadata
	case strings.HasPrefix(base, ".wh."):
		s := fl.state(dir + strings.TrimPrefix(base, ".wh."))
		s.deleted = max(s.deleted, v.layer)
		s.hide(v.layer)
		return
	}
	// A parent that is not a directory is replaced by one.
	for d := path.Dir(p); d != "/"; d = path.Dir(d) {
		if s, ok := fl.paths[d]; ok && s.top.layer >= 0 && s.top.layer < v.layer && s.typ != tar.TypeDir {
			s.deleted = max(s.deleted, v.layer)
			s.hide(v.layer)
		}
	}
	if h.Typeflag == tar.TypeLink {
		hl := hardlink{at: v, name: p}
		t := cleanPath(h.Linkname)
		if ts, ok := fl.paths[t]; ok && ts.top.layer >= 0 {
			switch {
			case isRegular(ts.typ):
				hl.target, hl.targetPath, hl.ok = ts.top, t, true
			case ts.typ == tar.TypeLink:
				if up := fl.links[ts.top]; up.ok {
					hl.target, hl.targetPath, hl.ok = up.target, up.targetPath, true
				}
			}
		}
		fl.links[v] = hl
		fl.order = append(fl.order, v)
	}
	s := fl.state(p)
	s.top, s.typ, s.dir = v, h.Typeflag, nil
	if h.Typeflag == tar.TypeDir {
		s.dir = exportHeader(h, p)
	} else {
		s.hide(v.layer)
	}
}

func (fl *flattener) state(p string) *pathState {
	s, ok := fl.paths[p]
	if !ok {
		s = &pathState{top: entryAt{-1, -1}, deleted: -1, hidden: -1}
		fl.paths[p] = s
	}
	return s
}

// hide records that layer hides what the layers below put beneath the
// path.
func (s *pathState) hide(layer int) { s.hidden = max(s.hidden, layer) }

// final reports whether the entry v of path p is in the final
// filesystem: the topmost entry of p, not deleted by a higher layer, and
// beneath no parent whose contents a higher layer hides.
func (fl *flattener) final(p string, v entryAt) bool {
	s, ok := fl.paths[p]
	if !ok || s.top != v || s.deleted > v.layer {
		return false
	}
	for d := path.Dir(p); ; d = path.Dir(d) {
		if s, ok := fl.paths[d]; ok && s.hidden > v.layer {
			return false
		}
		if d == "/" {
			return true
		}
	}
}

// write copies the entry v of the second pass to tw if it is in the
// final filesystem, and writes the hard links that carry its content.
func (fl *flattener) write(tw *tar.Writer, v entryAt, h *tar.Header, body io.Reader) error {
	p := cleanPath(h.Name)
	if links := fl.carry[v]; len(links) > 0 {
		// Links whose target is gone keep its content: the first takes
		// it, the others link to the first.
		if err := fl.writeDirs(tw, path.Dir(links[0])); err != nil {
			return err
		}
		hdr := exportHeader(h, links[0])
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, body); err != nil {
			return err
		}
		for _, l := range links[1:] {
			lh := exportHeader(h, l)
			lh.Typeflag, lh.Size, lh.Linkname = tar.TypeLink, 0, tarName(links[0], false)
			if err := tw.WriteHeader(lh); err != nil {
				return err
			}
		}
		for _, l := range links {
			fl.carried[l] = true
		}
	}
	if p == "/" || strings.HasPrefix(path.Base(p), ".wh.") || !fl.final(p, v) || fl.carried[p] {
		return nil
	}
	if err := fl.writeDirs(tw, p); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeDir {
		return nil // written by writeDirs
	}
	hdr := exportHeader(h, p)
	if h.Typeflag == tar.TypeLink {
		// Point at the file itself: a link in between may be gone.
		hdr.Linkname = tarName(cleanPath(h.Linkname), false)
		if hl := fl.links[v]; hl.ok {
			hdr.Linkname = tarName(hl.targetPath, false)
		}
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeReg {
		_, err := io.Copy(tw, body)
		return err
	}
	return nil
}

// writeDirs writes p and the directories above it, topmost first, that
// are directories in the final filesystem and not written yet: each with
// the metadata of its topmost entry, before anything beneath it.
func (fl *flattener) writeDirs(tw *tar.Writer, p string) error {
	if p == "/" {
		return nil
	}
	if err := fl.writeDirs(tw, path.Dir(p)); err != nil {
		return err
	}
	s, ok := fl.paths[p]
	if !ok || s.written || s.dir == nil || !fl.final(p, s.top) {
		return nil
	}
	s.written = true
	return tw.WriteHeader(s.dir)
}

// exportHeader is h renamed to p, with what a tar writer must recompute
// cleared: PAX records other than extended attributes, and the format.
func exportHeader(h *tar.Header, p string) *tar.Header {
	n := &tar.Header{
		Typeflag: h.Typeflag, Name: tarName(p, h.Typeflag == tar.TypeDir), Linkname: h.Linkname,
		Size: h.Size, Mode: h.Mode, Uid: h.Uid, Gid: h.Gid, Uname: h.Uname, Gname: h.Gname,
		ModTime: h.ModTime, Devmajor: h.Devmajor, Devminor: h.Devminor,
	}
	if isRegular(h.Typeflag) {
		n.Typeflag = tar.TypeReg
	} else {
		n.Size = 0
	}
	for k, val := range h.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") || strings.HasPrefix(k, "LIBARCHIVE.xattr.") {
			if n.PAXRecords == nil {
				n.PAXRecords = map[string]string{}
			}
			n.PAXRecords[k] = val
		}
	}
	return n
}

// eachEntry calls fn with each entry of l's tar, numbered in order, then
// reads the layer to its end so that its diffID is checked. Without
// content, fn's reader is nil.
func eachEntry(ctx context.Context, l *layer.Layer, content bool, fn func(seq int, h *tar.Header, body io.Reader) error) error {
	seq := 0
	return l.Walk(ctx, func(h *tar.Header, r io.Reader) error {
		if !content {
			r = nil
		}
		seq++
		return fn(seq-1, h, r)
	})
}

func isRegular(t byte) bool { return t == tar.TypeReg || t == tar.TypeRegA || t == tar.TypeGNUSparse }

// cleanPath cleans a tar name into an absolute path.
func cleanPath(name string) string { return path.Clean("/" + name) }

// tarName is the name an export writes for the absolute path p:
// relative, with a "/" after a directory.
func tarName(p string, dir bool) string {
	n := strings.TrimPrefix(p, "/")
	if dir {
		n += "/"
	}
	return n
}
