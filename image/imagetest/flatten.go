package imagetest

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// File is one entry of an image's flattened filesystem.
type File struct {
	// Mode holds the type bits (fs.ModeDir, fs.ModeSymlink, and the
	// device ones) and the permission, setuid, setgid and sticky bits. A
	// regular file, and a hard link, has no type bits.
	Mode fs.FileMode
	// UID and GID are the numeric owner and group.
	UID, GID int
	// Content is the bytes of a regular file or hard link; "" for others.
	Content string
	// Link is a symlink's target, as stored, or the absolute path that a
	// hard link points to; "" for others.
	Link string
}

// String describes f in one line, as the diffs of this package show it:
// "file 0644 0:0 12 bytes", "dir 0755 0:0", "symlink 0777 0:0 -> target",
// "hardlink 0644 0:0 -> /path (12 bytes)".
func (f File) String() string {
	head := fmt.Sprintf("%s %04o %d:%d", f.kind(), unixMode(f.Mode), f.UID, f.GID)
	switch f.kind() {
	case "file":
		return fmt.Sprintf("%s %d bytes", head, len(f.Content))
	case "symlink":
		return head + " -> " + f.Link
	case "hardlink":
		return fmt.Sprintf("%s -> %s (%d bytes)", head, f.Link, len(f.Content))
	}
	return head
}

// unixMode returns the permission and setuid, setgid and sticky bits of
// m as chmod spells them.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

func (f File) kind() string {
	switch t := f.Mode.Type(); {
	case t == 0 && f.Link != "":
		return "hardlink"
	case t == 0:
		return "file"
	case t.IsDir():
		return "dir"
	case t&fs.ModeSymlink != 0:
		return "symlink"
	case t&fs.ModeNamedPipe != 0:
		return "fifo"
	case t&fs.ModeCharDevice != 0:
		return "chardev"
	case t&fs.ModeDevice != 0:
		return "blockdev"
	}
	return "special"
}

// Flatten returns the filesystem that img's layers make, applied bottom
// first as a container runtime extracts them: a whiteout file
// (".wh.<name>") deletes that path and what is beneath it from the
// layers below, an opaque whiteout (".wh..wh..opq") empties its directory
// of what the layers below put there, and neither appears itself. A file
// replacing a directory hides the directory's contents, and a hard link
// whose target a higher layer deletes or replaces becomes a plain file
// with the content it had. Parent
// directories a layer leaves out appear as 0755 and 0:0.
//
// Keys are cleaned absolute paths ("/etc/os-release"); the root is left
// out. Every file's content is held in memory, so Flatten is meant for
// fixture-sized images. Layer bytes are checked against their digests as
// they are read. Modification times and user and group names are not
// kept.
func Flatten(ctx context.Context, img *image.Image) (map[string]File, error) {
	files := map[string]File{}
	for i, l := range img.Layers() {
		if err := apply(ctx, files, l); err != nil {
			return nil, fmt.Errorf("imagetest: flatten layer %d (%s): %w", i+1, l.Digest(), err)
		}
	}
	return files, nil
}

// Files returns img's flattened filesystem, as Flatten does, ending the
// test if a layer cannot be read. The map is the caller's to change.
func Files(t testing.TB, img *image.Image) map[string]File {
	t.Helper()
	files, err := Flatten(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// change is one entry of a layer to add to the filesystem.
type change struct {
	path     string
	file     File
	hardlink bool
}

// apply reads l and applies it to files. A layer's whiteouts only affect
// the layers below it, so all of them are applied before its entries.
func apply(ctx context.Context, files map[string]File, l *layer.Layer) error {
	var adds []change
	var deletes, opaques []string
	err := l.Walk(ctx, func(h *tar.Header, r io.Reader) error {
		p := absPath(h.Name)
		dir, base := path.Split(p)
		switch {
		case p == "/":
			return nil
		case base == opaqueName:
			opaques = append(opaques, dir)
			return nil
		case strings.HasPrefix(base, whiteoutPrefix+whiteoutPrefix):
			return nil // other overlay metadata, such as aufs's .wh..wh.plnk
		case strings.HasPrefix(base, whiteoutPrefix):
			deletes = append(deletes, dir+strings.TrimPrefix(base, whiteoutPrefix))
			return nil
		}
		c := change{path: p, file: File{Mode: h.FileInfo().Mode(), UID: h.Uid, GID: h.Gid}}
		switch h.Typeflag {
		case tar.TypeReg:
			b, err := io.ReadAll(r)
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			c.file.Content = string(b)
		case tar.TypeSymlink:
			c.file.Link = h.Linkname
		case tar.TypeLink:
			c.file.Link, c.hardlink = absPath(h.Linkname), true
		}
		adds = append(adds, c)
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range opaques {
		removeBelow(files, d)
	}
	for _, p := range deletes {
		delete(files, p)
		removeBelow(files, p)
		unlink(files, p)
	}
	for _, c := range adds {
		if err := add(files, c); err != nil {
			return err
		}
	}
	return nil
}

func add(files map[string]File, c change) error {
	for d := path.Dir(c.path); d != "/"; d = path.Dir(d) {
		parent, ok := files[d]
		if !ok {
			files[d] = File{Mode: fs.ModeDir | 0o755}
			continue
		}
		if !parent.Mode.IsDir() {
			return fmt.Errorf("%s: parent %s is a %s, not a directory", c.path, d, parent.kind())
		}
	}
	if c.hardlink {
		// A hard link shares its target's inode: content, mode and owner.
		target, ok := files[c.file.Link]
		if !ok || !target.Mode.IsRegular() {
			return fmt.Errorf("hard link %s: target %s is not a regular file of this image", c.path, c.file.Link)
		}
		c.file = File{Mode: target.Mode, UID: target.UID, GID: target.GID, Content: target.Content, Link: c.file.Link}
	}
	if old, ok := files[c.path]; ok {
		if old.Mode.IsDir() && !c.file.Mode.IsDir() {
			removeBelow(files, c.path)
		}
		if !old.Mode.IsDir() || !c.file.Mode.IsDir() {
			unlink(files, c.path)
		}
	}
	files[c.path] = c.file
	return nil
}

// removeBelow deletes every path beneath dir.
func removeBelow(files map[string]File, dir string) {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range files {
		if strings.HasPrefix(p, prefix) {
			delete(files, p)
		}
	}
}

// unlink turns the hard links to p, or to a path beneath it, into plain
// files: p was deleted or replaced, and they keep the content they had.
func unlink(files map[string]File, p string) {
	prefix := p + "/"
	for q, f := range files {
		if f.Link != "" && f.Mode.IsRegular() && (f.Link == p || strings.HasPrefix(f.Link, prefix)) {
			f.Link = ""
			files[q] = f
		}
	}
}

// absPath cleans a tar name into an absolute path.
func absPath(name string) string { return path.Clean("/" + name) }
