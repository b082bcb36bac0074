package build_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/testenv"
)

// crossBuild builds the example program with go build for linux and
// env (GOARCH=arm64, say) into dir/name, as a release tool would.
func crossBuild(t *testing.T, dir, name string, env ...string) string {
	t.Helper()
	return testenv.GoBuild(t, hello(t), filepath.Join(dir, name), env...)
}

// TestRunBinaries builds one index from binaries built for amd64 and
// arm64, each platform read from the binary, into a layout, a tarball and
// a registry; each image is the one its binary makes alone.
func TestRunBinaries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	amd := crossBuild(t, dir, "dist/app_linux_amd64/app", "GOARCH=amd64")
	arm := crossBuild(t, dir, "dist/app_linux_arm64/app", "GOARCH=arm64")
	reg := registrytest.New(t, registrytest.Options{})
	lay, tar := filepath.Join(dir, "oci"), filepath.Join(dir, "app.tar")
	res, err := build.Run(ctx, build.Recipe{
		Binaries: []build.Binary{{Path: arm}, {Path: amd}},
		Tags:     []string{"v1"},
		Outputs: []build.Output{
			{Format: build.Layout, Path: lay},
			{Format: build.Tarball, Path: tar},
			{Format: build.Registry, Path: reg.Host() + "/app:v1", Remote: httpOptions},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ix, ok := res.Artifact.(*image.Index)
	if !ok || len(ix.Images()) != 2 {
		t.Fatalf("artifact is a %s, want an index of 2 images", res.Artifact.MediaType())
	}
	for i, want := range []struct {
		p   image.Platform
		bin string
	}{{arm64, arm}, {amd64, amd}} {
		img := ix.Images()[i]
		if !img.Platform().Same(want.p) {
			t.Errorf("image %d is for %s, want %s (the binaries' order)", i, img.Platform(), want.p)
		}
		data, err := os.ReadFile(want.bin)
		if err != nil {
			t.Fatal(err)
		}
		if got := imagetest.Files(t, img)["/app"]; got.Content != string(data) || got.Mode != 0o755 {
			t.Errorf("%s: /app is %s, want the binary %s", want.p, got, want.bin)
		}
		alone, err := build.Run(ctx, build.Recipe{Binaries: []build.Binary{{Path: want.bin, Platform: want.p}}})
		if err != nil {
			t.Fatal(err)
		}
		if alone.Artifact.Digest() != img.Digest() {
			t.Errorf("%s: image %s in the index, %s built alone", want.p, img.Digest(), alone.Artifact.Digest())
		}
	}
	l, err := layout.Read(lay)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := tarball.Read(tar)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Pull(ctx, reg.Host()+"/app:v1", httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	for what, get := range map[string]func() (image.Artifact, error){
		"layout":   func() (image.Artifact, error) { return l.Artifact(ctx, "v1") },
		"tarball":  func() (image.Artifact, error) { return tb.Artifact(ctx, "v1") },
		"registry": func() (image.Artifact, error) { return pulled, nil },
	} {
		a, err := get()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if a.Digest() != ix.Digest() {
			t.Errorf("%s holds %s, want the index %s", what, a.Digest(), ix.Digest())
		}
	}

	// Platforms order the index; each binary goes to its platform.
	res2, err := build.Run(ctx, build.Recipe{Binaries: []build.Binary{{Path: arm}, {Path: amd}}, Platforms: []image.Platform{amd64, arm64}})
	if err != nil {
		t.Fatal(err)
	}
	ix2 := res2.Artifact.(*image.Index)
	if ix2.Images()[0].Digest() != ix.Images()[1].Digest() || ix2.Images()[1].Digest() != ix.Images()[0].Digest() {
		t.Errorf("with Platforms amd64,arm64 the images are %s, %s; want %s, %s", ix2.Images()[0].Platform(), ix2.Images()[1].Platform(), ix.Images()[1].Platform(), ix.Images()[0].Platform())
	}
}

// TestBinariesInvalid: binaries that do not fit their platforms are
// refused before any work, naming the binary's platform.
func TestBinariesInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	amd := crossBuild(t, dir, "amd64/app", "GOARCH=amd64")
	arm := crossBuild(t, dir, "arm64/app", "GOARCH=arm64")
	v3 := crossBuild(t, dir, "v3/app", "GOARCH=amd64", "GOAMD64=v3")
	other := filepath.Join(dir, "server")
	if err := os.Link(arm, other); err != nil {
		t.Fatal(err)
	}
	amd64v3 := image.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}
	for _, c := range []struct {
		name string
		r    build.Recipe
		says []string
		is   error
	}{
		{"v3 binary given as amd64", build.Recipe{Binaries: []build.Binary{{Path: amd}, {Path: v3, Platform: amd64}}},
			[]string{"GOAMD64=v3"}, gobinary.ErrWrongArch},
		{"two for one platform", build.Recipe{Binaries: []build.Binary{{Path: amd}, {Path: amd, Platform: amd64}}},
			[]string{"are both for linux/amd64", "one binary per platform"}, nil},
		{"not asked for", build.Recipe{Binaries: []build.Binary{{Path: amd}}, Platforms: []image.Platform{arm64}},
			[]string{"is built for linux/amd64", "(linux/arm64)"}, gobinary.ErrWrongArch},
		{"platform without binary", build.Recipe{Binaries: []build.Binary{{Path: amd}}, Platforms: []image.Platform{amd64, arm64}},
			[]string{"platform linux/arm64 has no binary"}, nil},
		{"wrong explicit platform", build.Recipe{Binaries: []build.Binary{{Path: amd, Platform: arm64}}},
			[]string{"built for amd64", "the image is linux/arm64"}, gobinary.ErrWrongArch},
		{"variant above the platform", build.Recipe{Binaries: []build.Binary{{Path: v3}}, Platforms: []image.Platform{amd64}},
			[]string{"amd64/v3 (GOAMD64=v3)", "linux/amd64/v3"}, gobinary.ErrWrongArch},
		{"different names", build.Recipe{Binaries: []build.Binary{{Path: amd}, {Path: other}}},
			[]string{"different names", "give Path"}, nil},
		{"missing", build.Recipe{Binaries: []build.Binary{{Path: filepath.Join(dir, "nope")}}},
			[]string{"binary " + filepath.Join(dir, "nope")}, nil},
	} {
		err := c.r.Validate()
		if !errors.Is(err, build.ErrInvalid) || c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v; want ErrInvalid and %v", c.name, err, c.is)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q lacks %q", c.name, err, s)
			}
		}
	}
	// What the refused ones say to do works.
	for _, r := range []build.Recipe{
		{Binaries: []build.Binary{{Path: v3}}, Platforms: []image.Platform{amd64v3}},
		{Binaries: []build.Binary{{Path: v3}}},
		{Binaries: []build.Binary{{Path: amd}, {Path: other}}, Path: "/app"},
	} {
		if err := r.Validate(); err != nil {
			t.Errorf("%+v: %v", r.Binaries, err)
		}
	}
}

// TestParseBinary reads the command line's PATH and PLATFORM=PATH.
func TestParseBinary(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "app")
	os.WriteFile(file, []byte("x"), 0o755)
	for _, c := range []struct {
		in   string
		want build.Binary
		ok   bool
		err  string
	}{
		{in: file, want: build.Binary{Path: file}, ok: true},
		{in: "linux/arm64=dist/app", want: build.Binary{Path: "dist/app", Platform: arm64}, ok: true},
		{in: "linux/arm/v7=app", want: build.Binary{Path: "app", Platform: image.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}}, ok: true},
		{in: "./cmd/app", ok: false},
		{in: "example.com/app", ok: false},
		{in: "linux/x86_64=app", ok: true, err: "did you mean linux/amd64"},
		{in: "linux/amd64=", ok: true, err: "no path after linux/amd64="},
	} {
		got, ok, err := build.ParseBinary(c.in)
		if ok != c.ok || got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseBinary(%q) = %+v, %v, %v; want %+v, %v, error with %q", c.in, got, ok, err, c.want, c.ok, c.err)
		}
	}
}
