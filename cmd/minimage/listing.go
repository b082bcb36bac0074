package main

// The file listing of inspect: each tar entry of a layer printed as it is
// read, in ls -l style, never the whole layer held. What one entry may
// cost is bounded: archive/tar reads a name or link of at most 1 MiB, and
// the listing keeps at most maxListName bytes of it.

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/minimage/minimage/internal/escape"
)

// maxListName is how much of a name or link target a listing shows; the
// rest is cut, with a marker that says how long it was.
const maxListName = 4 << 10

// listEntry is one tar entry as inspect shows it.
type listEntry struct {
	Name string `json:"name"` // "/etc/passwd", "/etc/" for a directory; cut past maxListName
	Type string `json:"type"` // file, dir, symlink, hardlink, char, block, fifo, other
	Mode string `json:"mode"` // "-rw-r--r--", as ls -l shows it
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	Size int64  `json:"size"`
	Link string `json:"link,omitempty"` // a symlink's target or a hard link's path; cut past maxListName
	// Whiteout is the path a whiteout file deletes from the layers below
	// ("/etc/passwd" for "/etc/.wh.passwd", "/etc/*" for an opaque one).
	Whiteout string `json:"whiteout,omitempty"`
}

// String returns e as one listing line, without indent or newline:
// mode, owner, size and name, with "-> target" for a symlink and
// "=> /path" for a hard link. Names and targets are quoted when they
// hold anything that could pass for listing syntax or reach the
// terminal as a control sequence.
func (e listEntry) String() string {
	s := fmt.Sprintf("%s %-11s %10d  %s", e.Mode, strconv.Itoa(e.UID)+":"+strconv.Itoa(e.GID), e.Size, quote(e.Name))
	switch e.Type {
	case "symlink":
		s += " -> " + quote(e.Link)
	case "hardlink":
		s += " => " + quote(e.Link)
	}
	if e.Whiteout != "" {
		s += "  (deletes " + quote(e.Whiteout) + ")"
	}
	return s
}

// listTar reads the tar stream r and calls fn with each entry as it is
// read. It returns the number of entries and their total size; an entry's
// content is skipped, never held. fn's error stops the listing.
func listTar(ctx context.Context, r io.Reader, fn func(listEntry) error) (n int, size int64, err error) {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return n, size, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, size, nil
		}
		if err != nil {
			return n, size, err
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		e := newListEntry(h)
		n++
		size += max(h.Size, 0)
		if err := fn(e); err != nil {
			return n, size, err
		}
	}
}

// newListEntry describes h, keeping at most maxListName bytes of its
// name and link target.
func newListEntry(h *tar.Header) listEntry {
	name := rooted(h.Name)
	e := listEntry{UID: h.Uid, GID: h.Gid, Size: h.Size, Mode: lsMode(h)}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		e.Type = "file"
	case tar.TypeDir:
		e.Type = "dir"
		if !strings.HasSuffix(name, "/") {
			name += "/"
		}
	case tar.TypeSymlink:
		e.Type, e.Link = "symlink", cut(h.Linkname)
	case tar.TypeLink:
		e.Type, e.Link = "hardlink", rooted(h.Linkname)
	case tar.TypeChar:
		e.Type = "char"
	case tar.TypeBlock:
		e.Type = "block"
	case tar.TypeFifo:
		e.Type = "fifo"
	default:
		e.Type = "other"
	}
	e.Name = name
	if dir, base := path.Split(strings.TrimSuffix(name, "/")); strings.HasPrefix(base, ".wh.") && len(h.Name) < maxListName {
		switch base {
		case ".wh..wh..opq":
			e.Whiteout = dir + "*"
		default:
			if !strings.HasPrefix(base, ".wh..wh.") {
				e.Whiteout = dir + strings.TrimPrefix(base, ".wh.")
			}
		}
	}
	return e
}

// rooted returns the tar name n as an absolute path, cut as cut does,
// without copying a long name whole first.
func rooted(n string) string {
	n = strings.TrimPrefix(strings.TrimPrefix(n, "./"), "/")
	if len(n) < maxListName {
		return "/" + n
	}
	return "/" + prefix(n, maxListName-1) + cutMarker(len(n)+1)
}

// cut keeps the first maxListName bytes of s (on a rune boundary) and
// says how long s was.
func cut(s string) string {
	if len(s) <= maxListName {
		return s
	}
	return prefix(s, maxListName) + cutMarker(len(s))
}

// prefix returns at most n bytes of s, ending on a rune boundary.
func prefix(s string, n int) string {
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func cutMarker(n int) string { return "…[cut: " + strconv.Itoa(n) + " bytes]" }

// lsMode spells h's type and mode as ls -l does: "drwxr-xr-x",
// "-rwsr-xr-x", "drwxrwxrwt"; a hard link shows as the file it is.
func lsMode(h *tar.Header) string {
	var b [10]byte
	switch h.Typeflag {
	case tar.TypeDir:
		b[0] = 'd'
	case tar.TypeSymlink:
		b[0] = 'l'
	case tar.TypeChar:
		b[0] = 'c'
	case tar.TypeBlock:
		b[0] = 'b'
	case tar.TypeFifo:
		b[0] = 'p'
	case tar.TypeReg, tar.TypeRegA, tar.TypeLink, tar.TypeGNUSparse:
		b[0] = '-'
	default:
		b[0] = '?'
	}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if h.Mode&(1<<(8-i)) != 0 {
			b[i+1] = rwx[i]
		} else {
			b[i+1] = '-'
		}
	}
	special := func(bit int64, at int, set, unset byte) {
		if h.Mode&bit == 0 {
			return
		}
		if b[at] == '-' {
			b[at] = unset
		} else {
			b[at] = set
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	return string(b[:])
}

// quote returns s as it is when it is plain printable text that cannot
// pass for listing syntax, else quoted as strconv.Quote does: control
// bytes, invalid UTF-8, non-printing and format runes (a bidi override,
// say), a leading quote or surrounding spaces, and " -> " or " => "
// inside a name. What a file name, label or annotation holds then can
// neither forge a line of the listing nor send an escape sequence to the
// terminal.
func quote(s string) string {
	if needsQuote(s) {
		return strconv.Quote(s)
	}
	return s
}

func needsQuote(s string) bool {
	if s == "" || strings.HasPrefix(s, `"`) || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") ||
		strings.Contains(s, " -> ") || strings.Contains(s, " => ") {
		return true
	}
	return escape.Needed(s)
}
