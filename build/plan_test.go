package build

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image/layout"
)

// TestSpillDir checks where large layers spill: beside the first layout
// output, else beside the first tarball file, else os.TempDir.
func TestSpillDir(t *testing.T) {
	dir := t.TempDir()
	lay := Output{Format: Layout, Path: filepath.Join(dir, "oci")}
	tar := Output{Format: Tarball, Path: filepath.Join(dir, "sub", "app.tar")}
	stdout := Output{Format: Tarball, Path: "stdout", Writer: &bytes.Buffer{}}
	push := Output{Format: Registry, Path: "registry.example/app:v1"}
	for _, c := range []struct {
		outs []Output
		want string
	}{
		{[]Output{tar, lay}, layout.SpillDir(lay.Path)},
		{[]Output{stdout, tar}, filepath.Join(dir, "sub")},
		{[]Output{push, stdout}, ""},
	} {
		if got := spillDir(c.outs); got != c.want {
			t.Errorf("spillDir(%v) = %q, want %q", c.outs, got, c.want)
		}
	}
}
