package build_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
	"github.com/opencontainers/go-digest"
)

// multiModule writes a module with the main packages cmd/NAME for each
// of names, and a library package lib, and returns its directory.
func multiModule(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":     "module example.com/multi\n\ngo 1.22\n",
		"lib/lib.go": "package lib\n\nfunc Name() string { return \"lib\" }\n",
	}
	for _, n := range names {
		files["cmd/"+n+"/main.go"] = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"" + n + "\") }\n"
	}
	writeFiles(t, dir, files)
	return dir
}

// logGo puts a go command first on PATH that logs each invocation's
// GOARCH and arguments, one a line, to the file it returns, then runs
// the real go.
func logGo(t *testing.T) string {
	t.Helper()
	real, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "log")
	script := "#!/bin/sh\necho \"$GOARCH $*\" >> " + log + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

// goBuilds returns the go build lines of the log logGo writes.
func goBuilds(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(l, " build ") {
			out = append(out, l)
		}
	}
	return out
}

// TestRunAll builds three programs of one module for two platforms into
// a layout, one tarball and a registry: go build runs once per platform
// for all three, each image is found under its name in every output, and
// the layers the images share are uploaded once.
func TestRunAll(t *testing.T) {
	ctx := context.Background()
	mod := multiModule(t, "api", "worker", "cli")
	log := logGo(t)
	reg := registrytest.New(t, registrytest.Options{})
	out := t.TempDir()
	dir, tar := filepath.Join(out, "oci"), filepath.Join(out, "all.tar")
	pls := []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
	var recs []build.Recipe
	names := []string{"api", "worker", "cli"}
	for _, n := range names {
		r := build.Recipe{Package: "./cmd/" + n, Dir: mod, Platforms: pls, Tags: []string{n + ":v1"},
			Outputs: []build.Output{{Format: build.Layout, Path: dir}, {Format: build.Tarball, Path: tar}}}
		for _, tag := range []string{"v1", "latest"} {
			r.Outputs = append(r.Outputs, build.Output{Format: build.Registry, Path: reg.Host() + "/team/" + n + ":" + tag, Remote: remote.Options{InsecureAllowHTTP: true}})
		}
		recs = append(recs, r)
	}
	res, err := build.RunAll(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if got := goBuilds(t, log); len(got) != len(pls) {
		t.Errorf("go build ran %d times, want once per platform (%d):\n%s", len(got), len(pls), strings.Join(got, "\n"))
	} else {
		for _, l := range got {
			for _, n := range names {
				if !strings.Contains(l, "./cmd/"+n) {
					t.Errorf("go build %q does not build ./cmd/%s", l, n)
				}
			}
		}
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := tarball.Read(tar)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		want := res[i].Artifact.Digest()
		if got := res[i].Report.Platforms[0].Binary.Path; got != "/"+n {
			t.Errorf("image %s: binary at %s, want /%s", n, got, n)
		}
		for what, read := range map[string]func(context.Context, string) (image.Artifact, error){"layout": l.Artifact, "tarball": tb.Artifact} {
			a, err := read(ctx, n+":v1")
			if err != nil {
				t.Errorf("%s: %v", what, err)
			} else if a.Digest() != want {
				t.Errorf("%s: %s:v1 is %s, want %s", what, n, a.Digest(), want)
			}
		}
		for _, tag := range []string{"v1", "latest"} {
			got, err := remote.Pull(ctx, reg.Host()+"/team/"+n+":"+tag, remote.Options{InsecureAllowHTTP: true})
			if err != nil {
				t.Errorf("pull %s:%s: %v", n, tag, err)
			} else if got.Digest() != want {
				t.Errorf("pushed %s:%s is %s, want %s", n, tag, got.Digest(), want)
			}
		}
	}
	checkUploadsOnce(t, reg, res[0].Images[0].Layers()[0].Digest().String())
}

// checkUploadsOnce checks that no blob was uploaded twice, and that
// shared, a layer every image has, was uploaded once and mounted into
// the other repositories.
func checkUploadsOnce(t *testing.T, reg *registrytest.Registry, shared string) {
	t.Helper()
	c := registrytest.CountBlobs(reg.Log())
	for d, n := range c.Uploads {
		if n > 1 {
			t.Errorf("blob %s uploaded %d times", d, n)
		}
	}
	if c.Uploads[shared] != 1 || c.Mounts[shared] < 2 {
		t.Errorf("shared layer %s: uploaded %d times, mounted %d times; want 1 upload and a mount into each other repository", shared, c.Uploads[shared], c.Mounts[shared])
	}
}

// TestRunAllNotMain refuses a package that is not package main, in
// RunAll and in Run, naming it.
func TestRunAllNotMain(t *testing.T) {
	mod := multiModule(t, "api")
	out := t.TempDir()
	r := build.Recipe{Package: "./lib", Dir: mod, Outputs: []build.Output{{Format: build.Layout, Path: filepath.Join(out, "a")}}}
	api := r
	api.Package, api.Outputs = "./cmd/api", []build.Output{{Format: build.Layout, Path: filepath.Join(out, "b")}}
	_, err := build.RunAll(context.Background(), []build.Recipe{api, r})
	if !errors.Is(err, build.ErrNotMain) || !strings.Contains(err.Error(), "./lib") {
		t.Errorf("RunAll with ./lib: %v; want ErrNotMain naming ./lib", err)
	}
	_, err = build.Run(context.Background(), r)
	if !errors.Is(err, build.ErrNotMain) || !strings.Contains(err.Error(), "./lib") {
		t.Errorf("Run of ./lib: %v; want ErrNotMain naming ./lib", err)
	}
}

// TestRunAllChecksFirst refuses recipes that give one tag in one layout,
// or push to one reference, before building anything.
func TestRunAllChecksFirst(t *testing.T) {
	mod := multiModule(t, "api", "worker")
	log := logGo(t)
	out := t.TempDir()
	for name, mutate := range map[string]func(r *build.Recipe){
		"same tag": func(r *build.Recipe) { r.Tags = []string{"app:v1"} },
		"same push": func(r *build.Recipe) {
			r.Outputs = []build.Output{{Format: build.Registry, Path: "localhost:1/app:v1"}}
		},
		"path twice": func(r *build.Recipe) {
			r.Outputs = []build.Output{{Format: build.Tarball, Path: filepath.Join(out, "oci")}}
		},
		"invalid field": func(r *build.Recipe) { r.Ports = []string{"0"} },
	} {
		a := build.Recipe{Package: "./cmd/api", Dir: mod, Tags: []string{"api:v1"}, Outputs: []build.Output{{Format: build.Layout, Path: filepath.Join(out, "oci")}}}
		w := a
		w.Package, w.Tags = "./cmd/worker", []string{"worker:v1"}
		mutate(&a)
		mutate(&w)
		if name == "path twice" {
			w.Outputs = []build.Output{{Format: build.Layout, Path: filepath.Join(out, "oci")}}
		}
		_, err := build.RunAll(context.Background(), []build.Recipe{a, w})
		if !errors.Is(err, build.ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", name, err)
		}
	}
	if _, err := os.Stat(log); err == nil {
		t.Errorf("go ran before the checks failed:\n%s", strings.Join(goBuilds(t, log), "\n"))
	}
	if _, err := os.Stat(filepath.Join(out, "oci")); err == nil {
		t.Error("a refused RunAll wrote the layout")
	}
}

// TestRunAllSameAsRun: an image RunAll builds among others is the one Run
// builds of its recipe alone, with the same provenance and SBOMs: what
// Run records of the package is kept though go build ran for several.
func TestRunAllSameAsRun(t *testing.T) {
	mod := multiModule(t, "api", "worker")
	pls := []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
	api := build.Recipe{Package: "./cmd/api", Dir: mod, Platforms: pls}
	worker := api
	worker.Package = "./cmd/worker"
	alone, err := build.Run(context.Background(), api)
	if err != nil {
		t.Fatal(err)
	}
	var events []build.Event // RunAll serializes the recipes' Progress calls
	record := func(e build.Event) {
		if e.Kind == build.Step {
			events = append(events, e)
		}
	}
	worker.Progress, api.Progress = record, record
	all, err := build.RunAll(context.Background(), []build.Recipe{worker, api})
	if err != nil {
		t.Fatal(err)
	}
	checkRunAllSteps(t, events, []string{"worker", "api"}, pls)
	got := all[1]
	if got.Artifact.Digest() != alone.Artifact.Digest() {
		t.Errorf("RunAll made %s of ./cmd/api, Run %s", got.Artifact.Digest(), alone.Artifact.Digest())
	}
	if string(got.Provenance) != string(alone.Provenance) {
		t.Errorf("provenance differs:\nRunAll %s\nRun    %s", got.Provenance, alone.Provenance)
	}
	for i := range alone.SBOMs {
		if string(got.SBOMs[i]) != string(alone.SBOMs[i]) {
			t.Errorf("SBOM of %s differs", pls[i])
		}
	}
	if b := got.Report.Platforms[0].Binary; b.Package != "./cmd/api" || b.BuildInfo == nil || b.BuildInfo.Path != "example.com/multi/cmd/api" {
		t.Errorf("report of the binary: package %q, build info %v", b.Package, b.BuildInfo)
	}
}

// TestRunAllCancel: cancelled while go build runs, RunAll returns the
// context's error and leaves no temporary directory behind.
func TestRunAllCancel(t *testing.T) {
	mod := multiModule(t, "api", "worker")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var recs []build.Recipe
	for _, n := range []string{"api", "worker"} {
		recs = append(recs, build.Recipe{Package: "./cmd/" + n, Dir: mod, GoBuild: build.GoBuild{Flags: []string{"-a"}},
			Progress: func(e build.Event) {
				if strings.HasPrefix(e.Message, "go build") {
					time.AfterFunc(200*time.Millisecond, cancel) // while go build -a runs
				}
			}})
	}
	_, err := build.RunAll(ctx, recs)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("RunAll cancelled: %v; want context.Canceled", err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}

// checkRunAllSteps checks the steps a RunAll reported: the work the
// images share (go build, the base files and CA layers) once and unnamed,
// each image's binary once per platform under the image's name.
func checkRunAllSteps(t *testing.T, events []build.Event, names []string, pls []image.Platform) {
	t.Helper()
	count := map[string]int{}
	for _, e := range events {
		count[e.Image+"|"+e.Message]++
	}
	for _, msg := range []string{"building the base files layer", "building the CA certificates layer"} {
		if count["|"+msg] != 1 || len(events) == 0 {
			t.Errorf("%q reported %d times unnamed, want once; steps %+v", msg, count["|"+msg], events)
		}
	}
	for _, pl := range pls {
		if n := count["|go build ./cmd/worker ./cmd/api for "+pl.String()]; n != 1 {
			t.Errorf("the go build for %s reported %d times, want once; steps %+v", pl, n, events)
		}
		for _, name := range names {
			if n := count[name+"|adding the binary for "+pl.String()]; n != 1 {
				t.Errorf("%s: the binary for %s reported %d times, want once", name, pl, n)
			}
		}
	}
}

// countingFS counts the opens of each file of a tree.
type countingFS struct {
	fstest.MapFS
	mu    sync.Mutex
	opens map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.MapFS.Open(name)
}

// TestRunAllSharesFiles: recipes adding the same Files (as a release adds
// its kodata to every program) share one layer, read once; a recipe with
// other files builds its own.
func TestRunAllSharesFiles(t *testing.T) {
	mod := multiModule(t, "api", "worker", "cli")
	data := &countingFS{MapFS: fstest.MapFS{"static/index.html": {Data: []byte("<p>hi</p>")}}, opens: map[string]int{}}
	files := []build.File{{Path: "/srv", FS: data}}
	var recs []build.Recipe
	for _, n := range []string{"api", "worker"} {
		recs = append(recs, build.Recipe{Package: "./cmd/" + n, Dir: mod, Files: files})
	}
	other := append(slices.Clone(files), build.File{Path: "/etc/motd", Data: []byte("hello")})
	recs = append(recs, build.Recipe{Package: "./cmd/cli", Dir: mod, Files: other})
	res, err := build.RunAll(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	// Each distinct set of Files is read once, for its layer and its
	// report's hashes: api and worker share one set, cli has its own.
	if n := data.opens["static/index.html"]; n != 2 {
		t.Errorf("static/index.html opened %d times; want 2: once for the Files api and worker share, once for cli's", n)
	}
	want := digest.FromBytes(data.MapFS["static/index.html"].Data)
	for i, r := range res {
		fr := r.Report.Platforms[0].Files
		if len(fr) == 0 || fr[0].Path != "/srv/static/index.html" || fr[0].Digest != want {
			t.Errorf("image %d reports files %+v; want /srv/static/index.html first, with digest %s", i, fr, want)
		}
	}
	// Base files, CA bundle, then the files layer, then the binary.
	filesLayer := func(i int) string { ls := res[i].Images[0].Layers(); return ls[len(ls)-2].Digest().String() }
	if filesLayer(0) != filesLayer(1) || filesLayer(0) == filesLayer(2) {
		t.Errorf("files layers %s, %s, %s: want the first two equal, the third other", filesLayer(0), filesLayer(1), filesLayer(2))
	}
}
