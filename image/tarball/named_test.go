package tarball_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/tarball"
)

// TestWriteNamed writes two images and an index that share layers into
// one tarball and reads each back by its name.
func TestWriteNamed(t *testing.T) {
	ctx := context.Background()
	shared := imagetest.FilesLayer(t, "shared", "s")
	api := imagetest.Fixture(t, amd64).Append(shared, imagetest.FilesLayer(t, "api", "a"))
	web := imagetest.Fixture(t, amd64).Append(shared, imagetest.FilesLayer(t, "web", "w"))
	ix := imagetest.FixtureIndex(t)
	items := []tarball.Named{
		{Artifact: api, Tags: []string{"api:v1", "api:latest"}},
		{Artifact: web, Tags: []string{"example.com/team/web:v1"}},
		{Artifact: ix, Tags: []string{"multi:v1"}},
	}
	path := filepath.Join(t.TempDir(), "all.tar")
	if err := tarball.WriteFileNamed(ctx, path, items); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	names, files := untar(t, data)
	checkOrder(t, names, items)
	blobs := 0
	for _, n := range names {
		if strings.HasPrefix(n, "blobs/sha256/") && n != "blobs/sha256/" {
			blobs++
		}
	}
	want := map[string]bool{}
	for _, it := range items {
		for _, b := range it.Artifact.Blobs() {
			want[b.Descriptor.Digest.String()] = true
		}
	}
	if blobs != len(want) {
		t.Errorf("%d blobs in the tarball, want each of the %d distinct blobs once", blobs, len(want))
	}
	var dm []struct{ RepoTags []string }
	if err := json.Unmarshal(files["manifest.json"], &dm); err != nil {
		t.Fatal(err)
	}
	if len(dm) != 3 || !slices.Equal(dm[0].RepoTags, []string{"api:v1", "api:latest"}) || !slices.Equal(dm[1].RepoTags, []string{"example.com/team/web:v1"}) {
		t.Errorf("manifest.json %s", files["manifest.json"])
	}

	tb, err := tarball.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tag  string
		want image.Artifact
	}{{"api:v1", api}, {"api:latest", api}, {"example.com/team/web:v1", web}, {"multi:v1", ix}} {
		got, err := tb.Artifact(ctx, c.tag)
		if err != nil {
			t.Errorf("%s: %v", c.tag, err)
			continue
		}
		if got.Descriptor().Digest != c.want.Descriptor().Digest {
			t.Errorf("%s: digest %s, want %s", c.tag, got.Descriptor().Digest, c.want.Descriptor().Digest)
		}
	}
	// "v1" names three images: an error that lists them, not a guess.
	if _, err := tb.Artifact(ctx, "v1"); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("ambiguous tag: %v", err)
	}
	if n, err := tb.Verify(ctx); err != nil || n != len(want) {
		t.Errorf("Verify: %d blobs, %v", n, err)
	}
}

func TestWriteNamedSameName(t *testing.T) {
	a, b := imagetest.Fixture(t, amd64), imagetest.Fixture(t, arm64)
	err := tarball.WriteNamed(context.Background(), new(strings.Builder), []tarball.Named{
		{Artifact: a, Tags: []string{"app:v1"}},
		{Artifact: b, Tags: []string{"docker.io/library/app:v1"}},
	})
	if !errors.Is(err, image.ErrInvalidTag) || !strings.Contains(err.Error(), "names two") {
		t.Errorf("two artifacts named app:v1: %v", err)
	}
}
