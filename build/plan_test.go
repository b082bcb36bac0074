package build

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
)

// TestSpillDir checks where large layers spill: beside the first layout
// output, with writeback as they are written, else beside the first
// tarball file, without, else os.TempDir.
func TestSpillDir(t *testing.T) {
	t.Parallel()
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

// TestCheckPlatform: what image.ParsePlatform accepts and the build
// refuses, each with the fix; and the platforms it builds.
func TestCheckPlatform(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		says string // "" means accepted
	}{
		{"linux/amd64", ""},
		{"linux/amd64/v3", ""},
		{"linux/arm/v7", ""},
		{"linux/arm64/v8", ""},
		{"linux/arm64/v9", ""},
		{"linux/riscv64", ""},
		{"linux/amd46", "unknown architecture \"amd46\""},
		{"linux/arm65", "did you mean linux/arm64?"},
		{"linux/sparc", "give one Go builds"},
		{"linux/amd64/v9", "unknown amd64 variant \"v9\"; give v1, v2, v3 or v4"},
		{"linux/arm/v8", "unknown arm variant \"v8\"; give v5, v6 or v7"},
		{"linux/386/v2", "386 has no variants"},
		{"windows/amd64", "linux images only"},
	} {
		p, err := image.ParsePlatform(c.in)
		if err != nil {
			t.Fatalf("image.ParsePlatform(%q): %v", c.in, err)
		}
		err = checkPlatform(p)
		switch {
		case c.says == "" && err != nil:
			t.Errorf("checkPlatform(%s): %v", c.in, err)
		case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says) || !errors.Is(err, ErrInvalid)):
			t.Errorf("checkPlatform(%s) = %v; want an ErrInvalid saying %q", c.in, err, c.says)
		}
	}
}
