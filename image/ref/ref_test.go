package ref_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.Mkdir("lay", 0o755)
	os.WriteFile("app.tar", nil, 0o644)
	for _, tc := range []struct {
		name string
		opts ref.Options
		want ref.Ref // Name is filled in
		says string  // an error saying this
	}{
		{name: "lay", want: ref.Ref{Kind: ref.Layout, Path: "lay"}},
		{name: "lay:v1", want: ref.Ref{Kind: ref.Layout, Path: "lay", Tag: "v1"}},
		{name: "app.tar:ghcr.io/me/app:v1", want: ref.Ref{Kind: ref.Tarball, Path: "app.tar", Tag: "ghcr.io/me/app:v1"}},
		{name: "localhost:5000/app:v1", want: ref.Ref{Kind: ref.Registry, Reference: remote.Reference{Registry: "localhost:5000", Repository: "app", Tag: "v1"}}},
		{name: "alpine:3.20", opts: ref.Options{DockerHub: true}, want: ref.Ref{Kind: ref.Registry, Implied: true, Reference: remote.Reference{Registry: "docker.io", Repository: "library/alpine", Tag: "3.20"}}},
		{name: "alpine:3.20", says: "name its registry: docker.io/library/alpine:3.20"},
		{name: "localhost:5000/app", opts: ref.Options{Local: true}, says: "give an OCI layout directory or an image tarball"},
		{name: "missing.tar", opts: ref.Options{DockerHub: true}, says: "or a registry reference REGISTRY/REPOSITORY"},
		{name: "./nope:v1", says: "nope:v1 does not exist"},
	} {
		got, err := ref.Parse(tc.name, tc.opts)
		if tc.says != "" {
			if !errors.Is(err, ref.ErrNotExist) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Parse(%q, %+v) = %+v, %v; want an ErrNotExist saying %q", tc.name, tc.opts, got, err, tc.says)
			}
			continue
		}
		tc.want.Name = tc.name
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q, %+v) = %+v, %v\nwant %+v", tc.name, tc.opts, got, err, tc.want)
		}
	}
}

// TestOpen: a layout and a tarball opened by name, the tag read by the
// reader's own lookup, one platform chosen with the one wording.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	ix := imagetest.Index(t, imagetest.Spec{Seed: 3, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}})
	lay := imagetest.WriteLayout(t, ix, "v1")
	tar := imagetest.WriteTarball(t, ix, "app:v1")
	for _, name := range []string{lay + ":v1", lay, tar + ":app:v1", tar} {
		r, err := ref.Parse(name, ref.Options{})
		if err != nil {
			t.Fatal(err)
		}
		a, err := r.Artifact(ctx, remote.Options{})
		if err != nil || a.Digest() != ix.Digest() {
			t.Errorf("%s: Artifact = %v, %v; want %s", name, a, err, ix.Digest())
		}
		arm := image.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
		if img, err := r.Image(ctx, arm, remote.Options{}); err != nil || img.Platform().Architecture != "arm64" {
			t.Errorf("%s: Image(%s) = %v, %v", name, arm, img, err)
		}
		_, err = r.Image(ctx, image.Platform{OS: "linux", Architecture: "s390x"}, remote.Options{})
		var pe *image.PlatformError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "no image for linux/s390x") || !strings.Contains(err.Error(), "it has linux/amd64, linux/arm64; give one of those") {
			t.Errorf("%s: Image(linux/s390x) = %v; want a PlatformError", name, err)
		}
	}
}

// TestNotAnImage: a file that is no tar says what it is, and errors.Is
// tells it apart with no look at the text.
func TestNotAnImage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(p, []byte("hello world\n"), 0o644)
	r, err := ref.Parse(p, ref.Options{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Open(context.Background(), remote.Options{})
	if !errors.Is(err, layout.ErrNotLayout) || !errors.Is(err, tarball.ErrNotTar) || !strings.Contains(err.Error(), `it is text that starts "hello world"`) {
		t.Errorf("Open(text file) = %v", err)
	}
}
