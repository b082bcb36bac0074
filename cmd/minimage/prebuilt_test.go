package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/testenv"
)

// crossHello builds examples/hello for linux/goarch into dir/rel, as
// goreleaser lays out its dist directory.
func crossHello(t *testing.T, dir, rel, goarch string) string {
	t.Helper()
	return testenv.GoBuild(t, filepath.Join(repoRoot(t), "examples", "hello"), filepath.Join(dir, rel), "GOARCH="+goarch)
}

// TestBuildPrebuilt builds one index from binaries built for amd64 and
// arm64 (one platform read from its ELF header, one given) into a layout,
// a tarball and a registry in one run, with --path.
func TestBuildPrebuilt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	amd := crossHello(t, dir, "dist/app_linux_amd64/app", "amd64")
	arm := crossHello(t, dir, "dist/app_linux_arm64/app", "arm64")
	reg := registrytest.New(t, registrytest.Options{})
	lay, tar := filepath.Join(dir, "oci"), filepath.Join(dir, "app.tar")
	mustBuild(t, "-o", lay, "-o", tar, "--push", reg.Host()+"/app:v1", "--insecure-allow-http",
		"--path", "/usr/bin/app", amd, "linux/arm64="+arm)

	l, err := layout.Read(lay)
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Artifact(ctx, reg.Host()+"/app:v1") // the --push reference names the outputs
	if err != nil {
		t.Fatal(err)
	}
	ix, ok := a.(*image.Index)
	if !ok || len(ix.Images()) != 2 {
		t.Fatalf("the layout holds a %s, want an index of 2 images", a.MediaType())
	}
	for i, want := range []struct{ platform, bin string }{{"linux/amd64", amd}, {"linux/arm64", arm}} {
		img := ix.Images()[i]
		data, err := os.ReadFile(want.bin)
		if err != nil {
			t.Fatal(err)
		}
		files := imagetest.Files(t, img)
		if img.Platform().String() != want.platform || files["/usr/bin/app"].Content != string(data) {
			t.Errorf("image %d: %s; want %s with %s at /usr/bin/app", i, img.Platform(), want.platform, want.bin)
		}
		if _, ok := files["/app"]; ok {
			t.Errorf("%s: /app is there as well as --path /usr/bin/app", want.platform)
		}
		if ep := img.Config().Config.Entrypoint; len(ep) != 1 || ep[0] != "/usr/bin/app" {
			t.Errorf("%s: entrypoint %q, want /usr/bin/app", want.platform, ep)
		}
	}
	tb, err := tarball.Read(tar)
	if err != nil {
		t.Fatal(err)
	}
	fromTar, err := tb.Artifact(ctx, reg.Host()+"/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Pull(ctx, reg.Host()+"/app:v1", remote.Options{InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if fromTar.Digest() != ix.Digest() || pushed.Digest() != ix.Digest() {
		t.Errorf("tarball %s, registry %s; the layout holds %s", fromTar.Digest(), pushed.Digest(), ix.Digest())
	}
}

// TestBuildPrebuiltErrors: binaries that do not make one image, or do not
// fit --platform, are refused, naming the binary's platform; --name makes
// binaries of different names one image.
func TestBuildPrebuiltErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	amd := crossHello(t, dir, "amd64/app", "amd64")
	arm := crossHello(t, dir, "arm64/app", "arm64")
	server := filepath.Join(dir, "server")
	if err := os.Link(arm, server); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{amd, "linux/amd64=" + amd}, "are both for linux/amd64"},
		{[]string{"--platform", "linux/arm64", amd}, "is built for linux/amd64, which is not among the platforms asked for (linux/arm64)"},
		{[]string{"--platform", "linux/amd64,linux/arm64", amd}, "platform linux/arm64 has no binary"},
		{[]string{"linux/arm64=" + amd}, "built for amd64 (EM_X86_64) but the image is linux/arm64"},
		{[]string{amd, server}, "different names"},
		{[]string{amd, filepath.Join(repoRoot(t), "examples", "hello")}, "several TARGETs must all be binaries"},
		{[]string{"linux/x86_64=" + amd}, "did you mean linux/amd64"},
	} {
		code, _, stderr := minimage(t, append([]string{"build", "-q", "-o", out}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "Usage:") {
			t.Errorf("build %q: exit %d, %q; want exit 1 saying %q, without the usage", tc.args, code, stderr, tc.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written by a refused build", out)
	}

	// --name names the image: the binary's path and the default tag.
	mustBuild(t, "-o", out, "--name", "svc", amd, server)
	l, err := layout.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Artifact(context.Background(), "svc:latest")
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range a.(*image.Index).Images() {
		if _, ok := imagetest.Files(t, img)["/svc"]; !ok {
			t.Errorf("%s: no /svc with --name svc", img.Platform())
		}
	}
	if names := l.Tags(); len(names) != 1 || names[0] != "svc:latest" {
		t.Errorf("layout names %q, want svc:latest", names)
	}
}

// TestBuildFileTree: --file with a directory adds its tree, modes by the
// execute bit, owned by root; a symlink out of the tree is refused,
// naming it.
func TestBuildFileTree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tree := filepath.Join(dir, "kodata")
	os.MkdirAll(filepath.Join(tree, "js"), 0o700)
	os.WriteFile(filepath.Join(tree, "index.html"), []byte("<h1>hi</h1>\n"), 0o600)
	os.WriteFile(filepath.Join(tree, "js", "run.sh"), []byte("#!/bin/sh\n"), 0o700)
	os.Symlink("index.html", filepath.Join(tree, "home.html"))
	out := filepath.Join(dir, "out")
	mustBuild(t, "-t", "app:v1", "-o", out, "--bare", "--file", tree+":/var/run/ko", helloBinary(t))
	l, err := layout.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := l.Image(context.Background(), "app:v1", image.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	files := imagetest.Files(t, img)
	for p, want := range map[string]imagetest.File{
		"/var/run/ko":            {Mode: os.ModeDir | 0o755},
		"/var/run/ko/index.html": {Mode: 0o644, Content: "<h1>hi</h1>\n"},
		"/var/run/ko/js":         {Mode: os.ModeDir | 0o755},
		"/var/run/ko/js/run.sh":  {Mode: 0o755, Content: "#!/bin/sh\n"},
		"/var/run/ko/home.html":  {Mode: os.ModeSymlink | 0o777, Link: "index.html"},
	} {
		if got := files[p]; got != want {
			t.Errorf("%s: %s, want %s", p, got, want)
		}
	}

	os.Symlink("../../secret", filepath.Join(tree, "js", "leak"))
	code, _, stderr := minimage(t, "build", "-q", "-o", out, "--file", tree+":/var/run/ko", helloBinary(t))
	if code != 1 || !strings.Contains(stderr, filepath.Join(tree, "js", "leak")) || !strings.Contains(stderr, "out of the tree") {
		t.Errorf("a symlink out of the tree: exit %d, %q", code, stderr)
	}
}
