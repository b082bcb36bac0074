package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
)

// severalModule writes a module with the main packages cmd/api,
// cmd/worker and cmd/cli and the library cmd/shared, makes it the
// current directory, and puts a go command first on PATH that logs each
// of its invocations, to the file it returns, before running the real go.
func severalModule(t *testing.T) string {
	t.Helper()
	real, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":              "module example.com/several\n\ngo 1.22\n",
		"cmd/shared/names.go": "package shared\n\nconst Greeting = \"hi\"\n",
	}
	for _, n := range []string{"api", "worker", "cli"} {
		files["cmd/"+n+"/main.go"] = "package main\n\nimport \"example.com/several/cmd/shared\"\n\nfunc main() { println(shared.Greeting, \"" + n + "\") }\n"
	}
	for name, data := range files {
		p := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "log")
	script := "#!/bin/sh\necho \"$GOARCH $*\" >> " + log + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Chdir(mod)
	return log
}

// goRuns returns the go commands of the log whose subcommand is sub.
func goRuns(t *testing.T, log, sub string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, " "+sub+" ") {
			out = append(out, l)
		}
	}
	return out
}

// TestBuildSeveral builds ./cmd/... (three main packages and a library)
// for two platforms into a layout, a tarball and a registry with --tags
// v1,latest: one go list, one go build per platform, each image under
// NAME:TAG everywhere, the shared layers uploaded once, and --json and
// --image-refs listing every image and reference.
func TestBuildSeveral(t *testing.T) {
	ctx := context.Background()
	log := severalModule(t)
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	out := t.TempDir()
	dir, tar, refsFile := filepath.Join(out, "oci"), filepath.Join(out, "all.tar"), filepath.Join(out, "refs")
	code, stdout, stderr := minimage(t, "build", "-q", "--json", "--insecure-allow-http", "--tags", "v1,latest",
		"--platform", "linux/amd64,linux/arm64", "-o", dir, "-o", tar, "--push", reg.Host()+"/team", "--image-refs", refsFile, "./cmd/...")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n, b := len(goRuns(t, log, "list")), goRuns(t, log, "build"); n != 1 || len(b) != 2 {
		t.Errorf("go list ran %d times and go build %d times; want once, and once per platform:\n%s", n, len(b), strings.Join(b, "\n"))
	}
	var sums []build.Summary
	if err := json.Unmarshal([]byte(stdout), &sums); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	var names, refs []string
	for _, s := range sums {
		names = append(names, s.Name)
		for _, p := range s.Pushed {
			refs = append(refs, p.Reference)
		}
	}
	if want := []string{"api", "cli", "worker"}; !slices.Equal(names, want) {
		t.Fatalf("--json names %q, want %q", names, want)
	}
	b, err := os.ReadFile(refsFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(b)); len(got) != 6 || !slices.Equal(got, refs) {
		t.Errorf("--image-refs lists %q; want the 6 references --json gives, %q", got, refs)
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := tarball.Read(tar)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if len(s.Platforms) != 2 {
			t.Errorf("%s: %d platforms, want 2", s.Name, len(s.Platforms))
		}
		for _, tag := range []string{"v1", "latest"} {
			ref := s.Name + ":" + tag
			for what, read := range map[string]func(context.Context, string) (image.Artifact, error){"layout": l.Artifact, "tarball": tb.Artifact} {
				if a, err := read(ctx, ref); err != nil || a.Digest() != s.Digest {
					t.Errorf("%s %s: %v, %v; want %s", what, ref, a, err, s.Digest)
				}
			}
			pushed := reg.Host() + "/team/" + ref
			if !slices.Contains(refs, build.PushedReference(pushed, s.Digest)) {
				t.Errorf("%s is not among the pushed references %q", pushed, refs)
			}
			if a, err := remote.Pull(ctx, pushed, remote.Options{InsecureAllowHTTP: true}); err != nil || a.Digest() != s.Digest {
				t.Errorf("pull %s: %v; want %s", pushed, err, s.Digest)
			}
		}
	}
	img, err := l.Image(ctx, "api:v1", image.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	checkUploadedOnce(t, reg, img.Layers()[0].Digest().String())

	// --image-refs - prints the references alone, in place of the report:
	// what a release script reads. The images are unchanged, so are they.
	code, stdout, stderr = minimage(t, "build", "-q", "--insecure-allow-http", "--tags", "v1,latest",
		"--platform", "linux/amd64,linux/arm64", "--push", reg.Host()+"/team", "--image-refs", "-", "./cmd/...")
	if got := strings.Fields(stdout); code != 0 || !slices.Equal(got, refs) {
		t.Errorf("--image-refs -: exit %d, stdout %q, want %q; stderr %s", code, got, refs, stderr)
	}
}

// checkUploadedOnce checks that no blob was uploaded twice, and that
// shared, a layer of every image, was uploaded once and mounted into the
// other repositories.
func checkUploadedOnce(t *testing.T, reg *registrytest.Registry, shared string) {
	t.Helper()
	c := registrytest.CountBlobs(reg.Log())
	for d, n := range c.Uploads {
		if n > 1 {
			t.Errorf("blob %s uploaded %d times", d, n)
		}
	}
	if c.Uploads[shared] != 1 || c.Mounts[shared] != 2 {
		t.Errorf("shared layer %s: uploaded %d times, mounted %d times; want 1 upload and 2 mounts", shared, c.Uploads[shared], c.Mounts[shared])
	}
}

// TestBuildSeveralRefused refuses, before go build runs, what names one
// image when the TARGETs make several, a library named on its own, and
// binaries mixed with packages.
func TestBuildSeveralRefused(t *testing.T) {
	bin := helloBinary(t) // before the module becomes the current directory
	log := severalModule(t)
	out := filepath.Join(t.TempDir(), "oci")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-t", "app:v1", "./cmd/..."}, "-t names one image"},
		{[]string{"--name", "app", "./cmd/api", "./cmd/cli"}, "--name and --path name one image"},
		{[]string{"--push", "localhost:5000/team/app:v1", "./cmd/..."}, "names a tag"},
		{[]string{"./cmd/api", "./cmd/shared"}, "package ./cmd/shared: not a main package"},
		{[]string{"./cmd/api", bin}, "or all Go packages"},
		{[]string{"-t", "app:v1", "--tags", "v2", "./cmd/api"}, "give one of them"},
	} {
		args := append([]string{"build", "-q", "-o", out}, tc.args...)
		code, _, stderr := minimage(t, args...)
		if code == 0 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "ELF") {
			t.Errorf("minimage %q: exit %d, %q; want an error that says %q", args, code, stderr, tc.want)
		}
	}
	if b := goRuns(t, log, "build"); len(b) > 0 {
		t.Errorf("go build ran for a refused build:\n%s", strings.Join(b, "\n"))
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused build wrote its output")
	}
	// One package alone is not listed first: go build finds it is no
	// program.
	code, _, stderr := minimage(t, "build", "-q", "-o", out, "./cmd/shared")
	if want := "package ./cmd/shared: not a main package"; code == 0 || !strings.Contains(stderr, want) {
		t.Errorf("build ./cmd/shared: exit %d, %q; want an error that says %q", code, stderr, want)
	}
}

// TestBuildTagsOneImage: --tags tags one image NAME:TAG, and a --push
// without a tag pushes each.
func TestBuildTagsOneImage(t *testing.T) {
	severalModule(t)
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	dir := filepath.Join(t.TempDir(), "oci")
	mustBuild(t, "--tags", "v1,v2", "--insecure-allow-http", "-o", dir, "--push", reg.Host()+"/api", "./cmd/api")
	for _, tag := range []string{"v1", "v2"} {
		d := layoutDigest(t, dir, "api:"+tag)
		a, err := remote.Pull(context.Background(), reg.Host()+"/api:"+tag, remote.Options{InsecureAllowHTTP: true})
		if err != nil || a.Digest().String() != d {
			t.Errorf("pushed api:%s: %v; want %s", tag, err, d)
		}
	}
}
