package listing

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
	"github.com/minimage/minimage/layer"
)

// MaxName is how many bytes of a name or link target a [File] keeps; the
// rest is cut, with a marker that says how long it was.
const MaxName = 4 << 10

// File is one tar entry of a layer: a regular file, a directory, a link
// or a device.
type File struct {
	Name string `json:"name"` // "/etc/passwd", "/etc/" for a directory; cut past MaxName
	Type string `json:"type"` // file, dir, symlink, hardlink, char, block, fifo, other
	Mode string `json:"mode"` // "-rw-r--r--", as ls -l shows it
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	Size int64  `json:"size"`
	Link string `json:"link,omitempty"` // a symlink's target or a hard link's path; cut past MaxName
	// Whiteout is the path a whiteout file deletes from the layers below
	// ("/etc/passwd" for "/etc/.wh.passwd", "/etc/*" for an opaque one).
	Whiteout string `json:"whiteout,omitempty"`
}

// String returns f as one listing line, without indent or newline:
// mode, owner, size and name, with "-> target" for a symlink and
// "=> /path" for a hard link. Names and targets are quoted as [Quote]
// does.
func (f File) String() string {
	s := fmt.Sprintf("%s %-11s %10d  %s", f.Mode, strconv.Itoa(f.UID)+":"+strconv.Itoa(f.GID), f.Size, Quote(f.Name))
	switch f.Type {
	case "symlink":
		s += " -> " + Quote(f.Link)
	case "hardlink":
		s += " => " + Quote(f.Link)
	}
	if f.Whiteout != "" {
		s += "  (deletes " + Quote(f.Whiteout) + ")"
	}
	return s
}

// Files calls fn with each entry of l as it is read, then reads l to its
// end, so that its diffID is checked. It returns the number of entries
// and their total size. An entry's content is skipped, never held, and
// archive/tar reads a name of at most 1 MiB: listing a layer takes
// bounded memory. fn's error stops the listing and is returned.
func Files(ctx context.Context, l *layer.Layer, fn func(File) error) (n int, size int64, err error) {
	rc, err := l.Uncompressed(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer rc.Close()
	n, size, err = tarFiles(ctx, rc, fn)
	if err == nil {
		_, err = io.Copy(io.Discard, rc)
	}
	if err != nil {
		return n, size, fmt.Errorf("layer %s: %w", l.Digest(), err)
	}
	return n, size, nil
}

// tarFiles reads the tar stream r and calls fn with each entry.
func tarFiles(ctx context.Context, r io.Reader, fn func(File) error) (n int, size int64, err error) {
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
		n++
		size += max(h.Size, 0)
		if err := fn(newFile(h)); err != nil {
			return n, size, err
		}
	}
}

// newFile describes h, keeping at most MaxName bytes of its name and
// link target.
func newFile(h *tar.Header) File {
	name := rooted(h.Name)
	f := File{UID: h.Uid, GID: h.Gid, Size: h.Size, Mode: lsMode(h)}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		f.Type = "file"
	case tar.TypeDir:
		f.Type = "dir"
		if !strings.HasSuffix(name, "/") {
			name += "/"
		}
	case tar.TypeSymlink:
		f.Type, f.Link = "symlink", cut(h.Linkname)
	case tar.TypeLink:
		f.Type, f.Link = "hardlink", rooted(h.Linkname)
	case tar.TypeChar:
		f.Type = "char"
	case tar.TypeBlock:
		f.Type = "block"
	case tar.TypeFifo:
		f.Type = "fifo"
	default:
		f.Type = "other"
	}
	f.Name = name
	if dir, base := path.Split(strings.TrimSuffix(name, "/")); strings.HasPrefix(base, ".wh.") && len(h.Name) < MaxName {
		switch base {
		case ".wh..wh..opq":
			f.Whiteout = dir + "*"
		default:
			if !strings.HasPrefix(base, ".wh..wh.") {
				f.Whiteout = dir + strings.TrimPrefix(base, ".wh.")
			}
		}
	}
	return f
}

// rooted returns the tar name n as an absolute path, cut as cut does,
// without copying a long name whole first.
func rooted(n string) string {
	n = strings.TrimPrefix(strings.TrimPrefix(n, "./"), "/")
	if len(n) < MaxName {
		return "/" + n
	}
	return "/" + prefix(n, MaxName-1) + cutMarker(len(n)+1)
}

// cut keeps the first MaxName bytes of s (on a rune boundary) and says
// how long s was.
func cut(s string) string {
	if len(s) <= MaxName {
		return s
	}
	return prefix(s, MaxName) + cutMarker(len(s))
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

// Quote returns s as it is when it is plain printable text that cannot
// pass for listing syntax, else quoted as strconv.Quote does: control
// bytes, invalid UTF-8, non-printing and format runes (a bidi override,
// say), a leading quote or surrounding spaces, and " -> " or " => "
// inside a name. What a file name, label or annotation holds then can
// neither forge a line of a listing nor send an escape sequence to the
// terminal.
func Quote(s string) string {
	if s == "" || strings.HasPrefix(s, `"`) || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") ||
		strings.Contains(s, " -> ") || strings.Contains(s, " => ") || escape.Needed(s) {
		return strconv.Quote(s)
	}
	return s
}
