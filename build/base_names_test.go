package build_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
)

// A base in a layout is found by its tag alone, by its full name, and by
// the docker reference that stands for it; one in a layout an earlier
// version wrote (the whole reference as ref.name) by the reference
// (issue 26, item 12).
func TestOpenBaseLayoutNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "oci")
	ghcr, hub := imagetest.Fixture(t, amd64), imagetest.Fixture(t, amd64).WithEnv("HUB", "1")
	if err := layout.Write(ctx, dir, ghcr, layout.Options{Tags: []string{"ghcr.io/me/app:v1"}}); err != nil {
		t.Fatal(err)
	}
	if err := layout.Write(ctx, dir, hub, layout.Options{Tags: []string{"app:v2"}}); err != nil {
		t.Fatal(err)
	}
	legacy := filepath.Join(t.TempDir(), "old")
	if err := layout.Write(ctx, legacy, hub, layout.Options{Tags: []string{"placeholder"}}); err != nil {
		t.Fatal(err)
	}
	idx := filepath.Join(legacy, "index.json")
	data, err := os.ReadFile(idx)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(idx, []byte(strings.Replace(string(data), `"placeholder"`, `"app:v2"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref  string
		want string
	}{
		{dir + ":v1", ghcr.Digest().String()},
		{dir + ":ghcr.io/me/app:v1", ghcr.Digest().String()},
		{dir + ":v2", hub.Digest().String()},
		{dir + ":app:v2", hub.Digest().String()},
		{dir + ":docker.io/library/app:v2", hub.Digest().String()},
		{legacy + ":app:v2", hub.Digest().String()},
		{legacy + ":docker.io/library/app:v2", hub.Digest().String()},
	} {
		b, err := build.OpenBase(tc.ref)
		if err != nil {
			t.Fatalf("OpenBase(%q): %v", tc.ref, err)
		}
		img, err := b.Image(ctx, amd64)
		if err != nil {
			t.Fatalf("OpenBase(%q): %v", tc.ref, err)
		}
		if got := img.Digest().String(); got != tc.want {
			t.Errorf("OpenBase(%q): %s, want %s", tc.ref, got, tc.want)
		}
	}
}
