//go:build linux

package build_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

// A build with one tarball output compresses each binary's layer straight
// into its place in the file (issue 27, item 2): the process writes the
// blob once, where through a spill file it wrote it twice (the spill, then
// the copy; wchar in /proc/self/io counts both, copy_file_range too), and
// the file holds the bytes tarball.WriteFile writes for the result, for
// one platform and for two. Spilling from the first byte, uncompressed,
// makes the blob large without a large program.
func TestRunTarballInPlace(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	amd := crossBuild(t, dir, "amd64/app", "GOARCH=amd64")
	arm := crossBuild(t, dir, "arm64/app", "GOARCH=arm64")
	lo := layer.Options{Format: layer.Format{Compression: layer.Uncompressed}, SpillThreshold: -1}
	for _, bins := range [][]build.Binary{{{Path: amd}}, {{Path: amd}, {Path: arm}}} {
		out := filepath.Join(t.TempDir(), "app.tar")
		before := testenv.ProcIO(t, "wchar")
		res, err := build.Run(ctx, build.Recipe{Binaries: bins, Layer: lo, Tags: []string{"app:v1"}, Outputs: []build.Output{{Format: build.Tarball, Path: out}}})
		if err != nil {
			t.Fatal(err)
		}
		written := testenv.ProcIO(t, "wchar") - before
		var blobs int64
		for _, img := range res.Artifact.Images() {
			ls := img.Layers()
			blobs += ls[len(ls)-1].Size()
		}
		if written > blobs*3/2 {
			t.Errorf("%d platforms: the build wrote %d bytes for binary layers of %d; want each written once, in place", len(bins), written, blobs)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(t.TempDir(), "want.tar")
		if err := tarball.WriteFile(ctx, want, res.Artifact, tarball.Options{Tags: []string{"app:v1"}}); err != nil {
			t.Fatal(err)
		}
		if wb, _ := os.ReadFile(want); !bytes.Equal(got, wb) {
			t.Errorf("%d platforms: the tarball differs from tarball.WriteFile's for the same result", len(bins))
		}
		if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
			t.Errorf("%d entries beside the tarball, want none", len(ents)-1)
		}
	}
}

// A build cancelled while the binary's layer is compressed into the
// tarball leaves the file that was there, and no temporary file.
func TestRunTarballInPlaceCancelled(t *testing.T) {
	dir := t.TempDir()
	bin := crossBuild(t, dir, "amd64/app", "GOARCH=amd64")
	outDir := t.TempDir()
	out := filepath.Join(outDir, "app.tar")
	os.WriteFile(out, []byte("before"), 0o644)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := build.Run(ctx, build.Recipe{
		Binaries: []build.Binary{{Path: bin}},
		Outputs:  []build.Output{{Format: build.Tarball, Path: out}},
		Progress: func(e build.Event) {
			if e.Kind == build.LayerBytes && strings.HasPrefix(e.Layer, "binary") && e.Bytes.In > 0 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(outDir); len(ents) != 1 {
		t.Errorf("%d entries in the directory, want app.tar alone", len(ents))
	}
	if got, _ := os.ReadFile(out); string(got) != "before" {
		t.Error("the cancelled build changed the tarball")
	}
}
