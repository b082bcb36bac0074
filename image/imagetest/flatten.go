package imagetest

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/rootfs"
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
	err := rootfs.Walk(ctx, img, func(h *tar.Header, r io.Reader) error {
		p := absPath(h.Name)
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if _, ok := files[d]; !ok {
				files[d] = File{Mode: fs.ModeDir | 0o755} // a parent no layer lists
			}
		}
		f := File{Mode: h.FileInfo().Mode(), UID: h.Uid, GID: h.Gid}
		switch h.Typeflag {
		case tar.TypeReg:
			b, err := io.ReadAll(r)
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			f.Content = string(b)
		case tar.TypeSymlink:
			f.Link = h.Linkname
		case tar.TypeLink:
			// A hard link shares its target's inode: content, mode and
			// owner. Walk gives the target first.
			target := absPath(h.Linkname)
			t := files[target]
			f = File{Mode: t.Mode, UID: t.UID, GID: t.GID, Content: t.Content, Link: target}
		}
		files[p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("imagetest: flatten: %w", err)
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

// absPath cleans a tar name into an absolute path.
func absPath(name string) string { return path.Clean("/" + name) }
