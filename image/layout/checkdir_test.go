package layout_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image/layout"
)

// TestCheckDir: an empty directory, one holding only a writer's temporary
// oci-layout file, and a layout take a Write; a directory of other files
// does not.
func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, files ...string) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	for _, c := range []struct {
		dir  string
		want error
	}{
		{mk("empty"), nil},
		{mk("making", ".tmp-oci-layout-12345"), nil},
		{mk("layout", "oci-layout", "notes.txt"), nil},
		{mk("foreign", "notes.txt"), layout.ErrNotLayout},
		{mk("foreign-and-temp", ".tmp-oci-layout-1", "notes.txt"), layout.ErrNotLayout},
	} {
		if err := layout.CheckDir(c.dir); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("CheckDir(%s) = %v, want %v", filepath.Base(c.dir), err, c.want)
		}
	}
}
