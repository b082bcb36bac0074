package ref_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
)

func TestParseTarget(t *testing.T) {
	t.Chdir(t.TempDir())
	os.Mkdir("lay", 0o755)
	os.Mkdir("my.dir", 0o755)
	os.WriteFile("app", []byte("binary"), 0o755)
	for _, tc := range []struct {
		name string
		opts ref.Options
		want ref.Ref // Name is filled in
		says string  // an error saying this
	}{
		{name: "lay:v1", want: ref.Ref{Kind: ref.Layout, Path: "lay", Tag: "v1"}},
		{name: "new", want: ref.Ref{Kind: ref.Layout, Path: "new"}},
		{name: "new:v1", want: ref.Ref{Kind: ref.Layout, Path: "new", Tag: "v1"}},
		{name: "out/new:app:v1", want: ref.Ref{Kind: ref.Layout, Path: "out/new", Tag: "app:v1"}},
		{name: "./my.site/x:v1", want: ref.Ref{Kind: ref.Layout, Path: "./my.site/x", Tag: "v1"}},
		{name: "my.dir:v1", want: ref.Ref{Kind: ref.Layout, Path: "my.dir", Tag: "v1"}},
		{name: "new.tar", want: ref.Ref{Kind: ref.Tarball, Path: "new.tar"}},
		{name: "New.TAR:ghcr.io/me/app:v1", want: ref.Ref{Kind: ref.Tarball, Path: "New.TAR", Tag: "ghcr.io/me/app:v1"}},
		{name: "localhost:5000/app:v1", want: ref.Ref{Kind: ref.Registry, Reference: remote.Reference{Registry: "localhost:5000", Repository: "app", Tag: "v1"}}},
		{name: "ghcr.io/me/app", want: ref.Ref{Kind: ref.Registry, Reference: remote.Reference{Registry: "ghcr.io", Repository: "me/app", Tag: "latest"}}},
		{name: "ghcr.io/me/app", opts: ref.Options{Local: true}, says: "is a registry reference"},
		{name: "ghcr.io/Me/app", says: "write ./ghcr.io/Me/app for a layout directory"},
		{name: "app:v1", says: "app is a file whose name does not end in .tar"},
		{name: "", says: "empty target"},
	} {
		got, err := ref.ParseTarget(tc.name, tc.opts)
		if tc.says != "" {
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("ParseTarget(%q, %+v) = %+v, %v; want an error saying %q", tc.name, tc.opts, got, err, tc.says)
			}
			continue
		}
		tc.want.Name = tc.name
		if err != nil || got != tc.want {
			t.Errorf("ParseTarget(%q, %+v) = %+v, %v\nwant %+v", tc.name, tc.opts, got, err, tc.want)
		}
	}
}

// Write puts an artifact where each kind of target points, under every
// name given, and reads back as the same digest through Parse.
func TestWrite(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	opts := remote.Options{InsecureAllowHTTP: true}
	ix := imagetest.Index(t, imagetest.Spec{Seed: 71, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}})
	for target, other := range map[string]string{"lay:v1": "lay:latest", "out.tar:app:v1": "out.tar:latest", reg.Host() + "/app:v1": reg.Host() + "/app:latest"} {
		r, err := ref.ParseTarget(target, ref.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Write(ctx, ix, opts, "latest"); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		for _, name := range []string{target, other} {
			src, err := ref.Parse(name, ref.Options{})
			if err != nil {
				t.Fatal(err)
			}
			a, err := src.Artifact(ctx, opts)
			if err != nil || a.Digest() != ix.Digest() {
				t.Errorf("%s: read %v, %v; want %s", name, a, err, ix.Digest())
			}
		}
	}
}
