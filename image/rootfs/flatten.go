package rootfs

// How the flattener works. It reads the layers twice, bottom first both
// times. The first pass (scan) reads only the headers and works out which
// entry of which layer is in the final filesystem: the topmost one of
// each path, unless a higher layer deletes it (a whiteout ".wh.NAME", an
// opaque whiteout ".wh..wh..opq" in a parent, or a parent replaced by a
// non-directory). The second pass (emit) gives those entries, with their
// content, in layer order, so that a hard link comes after its target,
// also when the target is in a lower layer; a directory is given with
// its topmost entry's metadata before the first entry beneath it. A hard
// link whose target a higher layer deletes or replaces keeps the content
// it had: the target's content is given under the link's name where the
// target was, and further links to it point there.

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/minimage/minimage/layer"
)

const (
	whiteoutPrefix = ".wh."
	opaqueName     = ".wh..wh..opq"
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
	// given (second pass) before anything beneath it.
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

// flattener holds what the first pass learns, and what the second has
// given so far.
type flattener struct {
	paths map[string]*pathState
	links map[entryAt]hardlink
	order []entryAt // of links, in stream order
	// carry maps a target that is not in the final filesystem to the
	// links that keep its content, in stream order; carried marks those
	// links, given in their target's place.
	carry   map[entryAt][]string
	carried map[string]bool
}

// scan runs the first pass over layers.
func scan(ctx context.Context, layers []*layer.Layer) (*flattener, error) {
	fl := &flattener{paths: map[string]*pathState{}, links: map[entryAt]hardlink{}, carry: map[entryAt][]string{}, carried: map[string]bool{}}
	for i, l := range layers {
		if err := eachEntry(ctx, l, false, func(seq int, h *tar.Header, _ io.Reader) error {
			fl.scan(entryAt{i, seq}, h)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("rootfs: layer %d (%s): %w", i+1, l.Digest(), err)
		}
	}
	for _, v := range fl.order {
		hl := fl.links[v]
		if hl.ok && fl.final(hl.name, hl.at) && !fl.final(hl.targetPath, hl.target) {
			fl.carry[hl.target] = append(fl.carry[hl.target], hl.name)
		}
	}
	return fl, nil
}

// scan records one entry of the first pass.
func (fl *flattener) scan(v entryAt, h *tar.Header) {
	p := cleanPath(h.Name)
	if p == "/" {
		return
	}
	dir, base := path.Split(p)
	switch {
	case base == opaqueName:
		fl.state(path.Clean(dir)).hide(v.layer)
		return
	case strings.HasPrefix(base, whiteoutPrefix+whiteoutPrefix):
		return // other overlay metadata, such as aufs's .wh..wh.plnk
	case strings.HasPrefix(base, whiteoutPrefix):
		s := fl.state(dir + strings.TrimPrefix(base, whiteoutPrefix))
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
		fl.scanLink(v, p, cleanPath(h.Linkname))
	}
	s := fl.state(p)
	s.top, s.typ, s.dir = v, h.Typeflag, nil
	if h.Typeflag == tar.TypeDir {
		s.dir = exportHeader(h, p)
	} else {
		s.hide(v.layer)
	}
}

// scanLink records the hard link v at p to t, and the regular file it
// shares an inode with.
func (fl *flattener) scanLink(v entryAt, p, t string) {
	hl := hardlink{at: v, name: p}
	// The target must be there when the link is made: not deleted, nor
	// beneath a directory emptied, by a layer since it was written.
	if ts, ok := fl.paths[t]; ok && ts.top.layer >= 0 && fl.final(t, ts.top) {
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

// emit gives the entry v of the second pass to fn if it is in the final
// filesystem, and the hard links that carry its content.
func (fl *flattener) emit(v entryAt, h *tar.Header, body io.Reader, fn func(*tar.Header, io.Reader) error) error {
	p := cleanPath(h.Name)
	if links := fl.carry[v]; len(links) > 0 {
		// Links whose target is gone keep its content: the first takes
		// it, the others link to the first.
		if err := fl.emitDirs(path.Dir(links[0]), fn); err != nil {
			return err
		}
		if err := fn(exportHeader(h, links[0]), body); err != nil {
			return err
		}
		for _, l := range links[1:] {
			lh := exportHeader(h, l)
			lh.Typeflag, lh.Size, lh.Linkname = tar.TypeLink, 0, tarName(links[0], false)
			if err := fn(lh, noBody()); err != nil {
				return err
			}
		}
		for _, l := range links {
			fl.carried[l] = true
		}
	}
	if p == "/" || strings.HasPrefix(path.Base(p), whiteoutPrefix) || !fl.final(p, v) || fl.carried[p] {
		return nil
	}
	if err := fl.emitDirs(p, fn); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeDir {
		return nil // given by emitDirs
	}
	hdr := exportHeader(h, p)
	if h.Typeflag == tar.TypeLink {
		// Point at the file itself: a link in between may be gone.
		hl := fl.links[v]
		if !hl.ok {
			// No extractor can make it: the link has nothing to share.
			return fmt.Errorf("rootfs: layer %d: hard link %s: its target %s is no regular file of the image: %w", v.layer+1, p, cleanPath(h.Linkname), fs.ErrNotExist)
		}
		hdr.Linkname = tarName(hl.targetPath, false)
	}
	if hdr.Typeflag != tar.TypeReg {
		body = noBody()
	}
	return fn(hdr, body)
}

// emitDirs gives p and the directories above it, topmost first, that
// are directories in the final filesystem and not given yet: each with
// the metadata of its topmost entry, before anything beneath it.
func (fl *flattener) emitDirs(p string, fn func(*tar.Header, io.Reader) error) error {
	if p == "/" {
		return nil
	}
	if err := fl.emitDirs(path.Dir(p), fn); err != nil {
		return err
	}
	s, ok := fl.paths[p]
	if !ok || s.written || s.dir == nil || !fl.final(p, s.top) {
		return nil
	}
	s.written = true
	h := *s.dir
	return fn(&h, noBody())
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

func noBody() io.Reader { return bytes.NewReader(nil) }

func isRegular(t byte) bool { return t == tar.TypeReg || t == tar.TypeRegA || t == tar.TypeGNUSparse }

// cleanPath cleans a tar name into an absolute path.
func cleanPath(name string) string { return path.Clean("/" + name) }

// tarName is the name Walk gives the absolute path p: relative, with a
// "/" after a directory.
func tarName(p string, dir bool) string {
	n := strings.TrimPrefix(p, "/")
	if dir {
		n += "/"
	}
	return n
}
