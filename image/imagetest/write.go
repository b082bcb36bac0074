package imagetest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
)

// WriteLayout writes a (an *image.Image or *image.Index) into a new OCI
// image layout under t.TempDir, with tags as its names (see
// layout.Options), and returns the layout's directory. The testing
// package removes it when the test ends. A write that fails ends the test.
func WriteLayout(t testing.TB, a image.Artifact, tags ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := layout.Write(t.Context(), dir, a, layout.Options{Tags: tags}); err != nil {
		t.Fatalf("imagetest: %v", err)
	}
	return dir
}

// WriteTarball writes a into a new tarball under t.TempDir, with tags as
// docker references (see tarball.Options), and returns the file's
// path. The file loads with docker load, podman load and skopeo, and
// tarball.Read reads it. The testing package removes it when the
// test ends. A write that fails ends the test.
func WriteTarball(t testing.TB, a image.Artifact, tags ...string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "image.tar")
	f, err := os.Create(name)
	if err != nil {
		t.Fatalf("imagetest: %v", err)
	}
	err = tarball.Write(t.Context(), f, a, tarball.Options{Tags: tags})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("imagetest: write tarball: %v", err)
	}
	return name
}

// TarballBytes returns the tarball that WriteTarball would write, in
// memory, for code under test that reads an io.Reader or a request body.
// The same a and tags always give the same bytes.
func TarballBytes(t testing.TB, a image.Artifact, tags ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tarball.Write(t.Context(), &buf, a, tarball.Options{Tags: tags}); err != nil {
		t.Fatalf("imagetest: %v", err)
	}
	return buf.Bytes()
}
