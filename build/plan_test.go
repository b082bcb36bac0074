package build

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image/layout"
)

// TestSpillDir checks where large layers spill: beside the first layout
// output, with writeback as they are written, else beside the first
// tarball file, without, else os.TempDir.
func TestSpillDir(t *testing.T) {
	dir := t.TempDir()
	lay := Output{Format: Layout, Path: filepath.Join(dir, "oci")}
	tar := Output{Format: Tarball, Path: filepath.Join(dir, "sub", "app.tar")}
	stdout := Output{Format: Tarball, Path: "stdout", Writer: &bytes.Buffer{}}
	push := Output{Format: Registry, Path: "registry.example/app:v1"}
	for _, c := range []struct {
		outs   []Output
		want   string
		linked bool
	}{
		{[]Output{tar, lay}, layout.SpillDir(lay.Path), true},
		{[]Output{stdout, tar}, filepath.Join(dir, "sub"), false},
		{[]Output{push, stdout}, "", false},
	} {
		if got, linked := spillDir(c.outs); got != c.want || linked != c.linked {
			t.Errorf("spillDir(%v) = %q, %v; want %q, %v", c.outs, got, linked, c.want, c.linked)
		}
	}
}
