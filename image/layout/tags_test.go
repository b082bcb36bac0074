package layout_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Tags are written as containerd, docker and oras write them: the tag
// alone in ref.name, the full name in io.containerd.image.name; each
// reads back by either (issue 26, item 12).
func TestTagNames(t *testing.T) {
	dir := t.TempDir()
	img := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, img, "v0", "ghcr.io/me/app:v1", "app:v2", "example.com:5000/team/app")
	want := []map[string]string{
		{ocispec.AnnotationRefName: "v0"},
		{ocispec.AnnotationRefName: "v1", image.AnnotationContainerdName: "ghcr.io/me/app:v1"},
		{ocispec.AnnotationRefName: "v2", image.AnnotationContainerdName: "docker.io/library/app:v2"},
		{ocispec.AnnotationRefName: "latest", image.AnnotationContainerdName: "example.com:5000/team/app:latest"},
	}
	idx := readIndex(t, dir)
	if len(idx.Manifests) != len(want) {
		t.Fatalf("index.json has %d entries, want %d", len(idx.Manifests), len(want))
	}
	for i, d := range idx.Manifests {
		if !maps.Equal(d.Annotations, want[i]) {
			t.Errorf("entry %d: annotations %v, want %v", i, d.Annotations, want[i])
		}
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.Tags(), []string{"v0", "ghcr.io/me/app:v1", "app:v2", "example.com:5000/team/app:latest"}; !slices.Equal(got, want) {
		t.Errorf("Tags %q, want %q", got, want)
	}
	for _, tag := range []string{"v0", "v1", "ghcr.io/me/app:v1", "v2", "app:v2", "docker.io/library/app:v2", "latest", "example.com:5000/team/app", "example.com:5000/team/app:latest"} {
		readBack(t, dir, tag, amd64, img)
	}
	for _, tag := range []string{"ghcr.io/me/app:v2", "app:v1", "app"} {
		if _, err := l.Image(context.Background(), tag, amd64); !errors.Is(err, image.ErrNotFound) {
			t.Errorf("tag %q: %v, want image.ErrNotFound", tag, err)
		}
	}
}

// A layout written by an earlier version, whose ref.name holds the whole
// reference, still reads by it, and a write of the same name replaces
// its entry.
func TestTagNamesEarlierLayout(t *testing.T) {
	dir := t.TempDir()
	old := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, old, "placeholder")
	p := filepath.Join(dir, "index.json")
	data := strings.Replace(string(mustRead(t, p)), `"placeholder"`, `"app:v1"`, 1)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"app:v1", "docker.io/library/app:v1"} {
		readBack(t, dir, tag, amd64, old)
	}
	img := old.WithEnv("NEW", "1")
	writeLayout(t, dir, img, "docker.io/library/app:v1")
	idx := readIndex(t, dir)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != img.Digest() {
		t.Fatalf("index.json %+v: want the one entry replaced", idx.Manifests)
	}
	for _, tag := range []string{"v1", "app:v1"} {
		readBack(t, dir, tag, amd64, img)
	}
}

// Two images with one tag and different names are both kept; the tag
// alone is then ambiguous and says so, and the full names read.
func TestTagNamesAmbiguous(t *testing.T) {
	dir := t.TempDir()
	a, b := imagetest.Fixture(t, amd64), imagetest.Fixture(t, amd64).WithEnv("B", "1")
	writeLayout(t, dir, a, "ghcr.io/me/a:v1")
	writeLayout(t, dir, b, "ghcr.io/me/b:v1")
	readBack(t, dir, "ghcr.io/me/a:v1", amd64, a)
	readBack(t, dir, "ghcr.io/me/b:v1", amd64, b)
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Image(context.Background(), "v1", amd64)
	if !errors.Is(err, image.ErrNotFound) || !strings.Contains(err.Error(), "ghcr.io/me/b:v1") || !strings.Contains(err.Error(), "full name") {
		t.Errorf("ambiguous v1: %v", err)
	}
	if _, err := l.Artifact(context.Background(), "v1"); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("Artifact of ambiguous v1: %v", err)
	}
}
