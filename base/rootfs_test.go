package base_test

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/layer"
)

// extract unpacks layers, in order, into dir, as a container runtime
// would: directories, files, symlinks and hard links, with their modes and
// owners. Owners are set only when running as root. Whiteouts are not
// handled; these layers have none.
func extract(t *testing.T, dir string, layers ...*layer.Layer) {
	t.Helper()
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	var dirs []dirMode
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Clean(h.Name)
			if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
				t.Fatalf("entry %q leaves the root", h.Name)
			}
			p := filepath.Join(dir, name)
			mode := fs.FileMode(h.Mode) & fs.ModePerm
			if h.Mode&0o1000 != 0 {
				mode |= fs.ModeSticky
			}
			if err := extractOne(tr, h, p, dir, mode); err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
			if h.Typeflag == tar.TypeDir {
				dirs = append(dirs, dirMode{p, mode})
			}
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	// Directory modes last, deepest first, so a 0700 parent does not stop
	// the extraction of its children (for a test run by a non-root user).
	slices.Reverse(dirs)
	for _, d := range dirs {
		if err := os.Chmod(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
	}
}

func extractOne(tr *tar.Reader, h *tar.Header, p, root string, mode fs.FileMode) error {
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case tar.TypeReg:
		os.Remove(p)
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
	case tar.TypeSymlink:
		os.Remove(p)
		if err := os.Symlink(h.Linkname, p); err != nil {
			return err
		}
	case tar.TypeLink:
		os.Remove(p)
		if err := os.Link(filepath.Join(root, filepath.Clean(h.Linkname)), p); err != nil {
			return err
		}
	default:
		return errors.New("unsupported entry type " + string(h.Typeflag))
	}
	if os.Geteuid() == 0 {
		return os.Lchown(p, h.Uid, h.Gid)
	}
	return nil
}
