package testenv

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

// Entry is one entry of a tar stream: its header, and the content of a
// regular file (empty for other types).
type Entry struct {
	Header *tar.Header
	Body   []byte
}

// ReadTar returns the entries of the tar stream r, in order. It reads r to
// its end, past the end of the archive, so that a reader that checks a
// digest at EOF, such as a layer's, gets to check it.
func ReadTar(tb testing.TB, r io.Reader) []Entry {
	tb.Helper()
	var es []Entry
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("reading tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			tb.Fatalf("reading tar: %s: %v", h.Name, err)
		}
		es = append(es, Entry{h, body})
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		tb.Fatalf("reading tar: %v", err)
	}
	return es
}

// Untar extracts the tar stream r into the directory dir, creating it if
// need be, as a container runtime unpacks a layer: directories, regular
// files, symlinks and hard links, with their permission, setuid, setgid
// and sticky bits, and their owners when the test runs as root. An entry
// replaces what an earlier one (of an earlier call, for a later layer)
// left at its path. Whiteouts are not handled. Untar fails the test on any
// other entry type, and on a name or hard link target that leaves dir,
// also through a symlink. It reads the whole stream with ReadTar first, so
// it suits test-sized layers.
func Untar(tb testing.TB, r io.Reader, dir string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer root.Close()
	type dirMode struct {
		name string
		mode fs.FileMode
	}
	var dirs []dirMode
	for _, e := range ReadTar(tb, r) {
		name, err := inside(e.Header.Name)
		if err == nil {
			err = untarOne(root, e, name)
		}
		if err != nil {
			tb.Fatalf("untar %s: %v", e.Header.Name, err)
		}
		if e.Header.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirMode{name, mode(e.Header)})
		}
	}
	// Directory modes last, deepest first, so that a 0500 directory does
	// not stop the extraction of its children when the test is not root.
	slices.Reverse(dirs)
	for _, d := range dirs {
		if err := root.Chmod(d.name, d.mode); err != nil {
			tb.Fatalf("untar: %v", err)
		}
	}
}

// inside returns name cleaned and relative, or an error when it leaves the
// directory it is relative to.
func inside(name string) (string, error) {
	c := path.Clean(name)
	if path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%q leaves the directory", name)
	}
	return c, nil
}

// mode returns the permission and setuid, setgid and sticky bits of a tar
// header as an fs.FileMode.
func mode(h *tar.Header) fs.FileMode {
	return h.FileInfo().Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// untarOne writes e at name under root, except a directory's mode.
func untarOne(root *os.Root, e Entry, name string) error {
	h := e.Header
	if h.Typeflag != tar.TypeDir {
		if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
			return err
		}
		if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := root.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case tar.TypeReg:
		if err := root.WriteFile(name, e.Body, 0o600); err != nil {
			return err
		}
	case tar.TypeSymlink:
		if err := root.Symlink(h.Linkname, name); err != nil {
			return err
		}
		return lchown(root, h, name)
	case tar.TypeLink:
		target, err := inside(h.Linkname)
		if err != nil {
			return err
		}
		return root.Link(target, name)
	default:
		return fmt.Errorf("unsupported entry type %q", h.Typeflag)
	}
	// The owner before the mode: chown clears the setuid and setgid bits.
	if err := lchown(root, h, name); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeDir {
		return nil // Untar sets it once the children are in
	}
	return root.Chmod(name, mode(h))
}

// lchown sets the owner of name from h when the test runs as root.
func lchown(root *os.Root, h *tar.Header, name string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return root.Lchown(name, h.Uid, h.Gid)
}
