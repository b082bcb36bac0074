package build_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
)

// httpOptions talks plain HTTP to imagetest's registry.
var httpOptions = remote.Options{InsecureAllowHTTP: true}

// blobUploads returns the requests of log that send a blob's bytes or
// mount one: the POST that starts an upload (or mounts), the PATCH and
// the PUT.
func blobUploads(log []registrytest.Request) []registrytest.Request {
	var out []registrytest.Request
	for _, r := range log {
		if strings.Contains(r.Path, "/blobs/uploads/") {
			out = append(out, r)
		}
	}
	return out
}

// TestRunPush builds an index into a layout and two tags of a registry in
// one run, then the same recipe again into the registry alone: the
// registry holds the layout's digest both times, and what it already
// holds is not sent again.
func TestRunPush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	dir := t.TempDir()
	cache := t.TempDir()
	recipe := func(outs ...build.Output) build.Recipe {
		return build.Recipe{
			Package:   hello(t),
			Platforms: []image.Platform{amd64, arm64},
			Outputs:   outs,
			Tags:      []string{"v1"},
			GoBuild:   build.GoBuild{Cache: cache},
		}
	}
	pushTo := func(ref string) build.Output {
		return build.Output{Format: build.Registry, Path: reg.Host() + "/" + ref, Remote: httpOptions}
	}
	res, err := build.Run(ctx, recipe(build.Output{Format: build.Layout, Path: filepath.Join(dir, "oci")}, pushTo("app:v1"), pushTo("app:v2")))
	if err != nil {
		t.Fatal(err)
	}
	l, err := layout.Read(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	local, err := l.Artifact(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"v1", "v2"} {
		got, err := remote.Pull(ctx, reg.Host()+"/app:"+tag, httpOptions)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != local.Digest() || got.Digest() != res.Artifact.Digest() {
			t.Errorf("app:%s is %s; the layout holds %s, Run returned %s", tag, got.Digest(), local.Digest(), res.Artifact.Digest())
		}
		if ix, ok := got.(*image.Index); !ok || len(ix.Images()) != 2 {
			t.Errorf("app:%s is a %s, want an index of 2 images", tag, got.MediaType())
		}
	}

	// The same inputs, pushed alone to a new repository: the same digest.
	// Then again to a tag that already names it: nothing is sent.
	res2, err := build.Run(ctx, recipe(pushTo("solo:v1")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Pull(ctx, reg.Host()+"/solo:v1", httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != local.Digest() || res2.Artifact.Digest() != local.Digest() {
		t.Errorf("pushed without a layout: %s, want the layout's %s", got.Digest(), local.Digest())
	}
	reg.ResetLog()
	if _, err := build.Run(ctx, recipe(pushTo("solo:v1"))); err != nil {
		t.Fatal(err)
	}
	if up := blobUploads(reg.Log()); len(up) != 0 {
		t.Errorf("a re-push of an unchanged build sent blobs: %v", up)
	}
	// The tag's HEAD, one HEAD for each platform's binary layer, which
	// the record in the binary cache names, and one for each platform's
	// SBOM referrer and each provenance referrer, which are there
	// already.
	prov, err := res2.ProvenanceReferrers()
	if err != nil {
		t.Fatal(err)
	}
	if n, want := len(reg.Log()), 2+2*len(res2.Images)+len(prov); n > want {
		t.Errorf("a re-push of an unchanged build took %d requests, want at most %d: %v", n, want, reg.Log())
	}
	// To a new tag of the same repository: the manifest is there, so
	// only the tag is put; the SBOMs name no tag, so they are there too.
	reg.ResetLog()
	if _, err := build.Run(ctx, recipe(pushTo("solo:v2"))); err != nil {
		t.Fatal(err)
	}
	if up := blobUploads(reg.Log()); len(up) != 0 || len(reg.Log()) != 3+2*len(res2.Images)+len(prov) {
		t.Errorf("a push of an unchanged build to a new tag: %v, want the tag's HEAD, the manifest's HEAD and its PUT, and a HEAD for each binary layer, SBOM and provenance referrer", reg.Log())
	}
}

// TestRunRegistryBase builds on a base in a registry and pushes to
// another repository of it: the base's layers are mounted from the
// base's repository, neither downloaded nor uploaded, and the report and
// annotations name the base as stored there. With bearer tokens, the
// token for the mount covers the base's repository too.
func TestRunRegistryBase(t *testing.T) {
	t.Parallel()
	for name, ro := range map[string]registrytest.Options{
		"anonymous":    {},
		"bearer token": {BearerToken: true, User: "ci", Password: "s3cret"},
	} {
		t.Run(name, func(t *testing.T) { testRunRegistryBase(t, ro) })
	}
}

func testRunRegistryBase(t *testing.T, ro registrytest.Options) {
	ctx := context.Background()
	reg := registrytest.New(t, ro)
	httpOptions := httpOptions
	httpOptions.Username, httpOptions.Password = ro.User, ro.Password
	baseImg := imagetest.Image(t, imagetest.Spec{Seed: 71, Layers: 2, Files: 3})
	reg.Preload(t, "base", baseImg, "v1")
	b, err := build.RegistryBase(reg.Host()+"/base:v1", httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != reg.Host()+"/base:v1" {
		t.Errorf("Name %q", b.Name())
	}
	reg.ResetLog()
	res, err := build.Run(ctx, build.Recipe{
		Package:   hello(t),
		Platforms: []image.Platform{amd64},
		Base:      b,
		Outputs:   []build.Output{{Format: build.Registry, Path: reg.Host() + "/app:v1", Remote: httpOptions}},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]bool{} // the layers' hex digests, which paths and queries hold
	for _, l := range baseImg.Layers() {
		base[l.Digest().Encoded()] = true
	}
	mounted := map[string]bool{}
	for _, r := range reg.Log() {
		switch {
		case r.Method == "GET" && strings.Contains(r.Path, "/blobs/") && base[strings.TrimPrefix(filepath.Base(r.Path), "sha256:")]:
			t.Errorf("base layer downloaded: %s %s", r.Method, r.Path)
		case r.Status == 401:
			// The challenge for a token, asked for again.
		case r.Method == "POST" && strings.Contains(r.Query, "mount="):
			if !strings.Contains(r.Query, "from=base") || r.Status != 201 {
				t.Errorf("mount %s?%s: %d, want 201 from base", r.Path, r.Query, r.Status)
			}
			for d := range base {
				if strings.Contains(r.Query, d) {
					mounted[d] = true
				}
			}
		case r.Method == "PUT" && strings.Contains(r.Path, "/blobs/uploads/"):
			for d := range base {
				if strings.Contains(r.Query, d) {
					t.Errorf("base layer %s uploaded: %s?%s", d, r.Path, r.Query)
				}
			}
		}
	}
	if len(mounted) != len(base) {
		t.Errorf("mounted %d of the %d base layers; log: %v", len(mounted), len(base), reg.Log())
	}
	rep := res.Report.Platforms[0].Base
	if rep == nil || rep.Name != reg.Host()+"/base:v1" || rep.Digest != baseImg.Digest() {
		t.Errorf("base report %+v, want %s at %s", rep, reg.Host()+"/base:v1", baseImg.Digest())
	}
	got, err := remote.PullImage(ctx, reg.Host()+"/app:v1", amd64, httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != res.Artifact.Digest() {
		t.Errorf("pushed %s, built %s", got.Digest(), res.Artifact.Digest())
	}
	for i, l := range baseImg.Layers() {
		if got.Layers()[i].Digest() != l.Digest() {
			t.Errorf("layer %d is %s, want the base's %s", i, got.Layers()[i].Digest(), l.Digest())
		}
	}
	if name := got.Manifest().Annotations["org.opencontainers.image.base.name"]; name != reg.Host()+"/base:v1" {
		t.Errorf("base.name annotation %q", name)
	}
	files := imagetest.Files(t, got)
	if _, ok := files["/hello"]; !ok {
		t.Error("no /hello in the pushed image")
	}
	if _, ok := files["/usr/share/fixture"]; !ok {
		t.Error("none of the base's files in the pushed image")
	}
}

// TestOpenBaseRule checks how OpenBase tells a path from a registry
// reference: an existing path wins; a name that is neither is an error
// naming both.
func TestOpenBaseRule(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 72})
	reg.Preload(t, "base", img, "v1")
	dir := t.TempDir()
	t.Chdir(dir)
	// A layout whose path is spelled like the reference: it wins.
	local := imagetest.Image(t, imagetest.Spec{Seed: 73})
	shadow := reg.Host() + "/base"
	if err := os.MkdirAll(filepath.Dir(shadow), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := layout.Write(ctx, shadow, local, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref  string
		want *image.Image
	}{
		{shadow + ":v1", local},
		{"./" + shadow + ":v1", local},
	} {
		b, err := build.OpenBaseWith(tc.ref, httpOptions)
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		got, err := b.Image(ctx, amd64)
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		if got.Digest() != tc.want.Digest() {
			t.Errorf("%s: opened %s, want %s", tc.ref, got.Digest(), tc.want.Digest())
		}
	}
	os.RemoveAll(filepath.Dir(shadow))
	b, err := build.OpenBaseWith(shadow+":v1", httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Image(ctx, amd64); err != nil || got.Digest() != img.Digest() {
		t.Errorf("with no file, the registry's: %v, %v", got, err)
	}
	if b.Name() != shadow+":v1" {
		t.Errorf("Name %q", b.Name())
	}

	for _, ref := range []string{"missing.tar", "missing.tar:app:v1", "./missing:v1", "Bad Name", "/no/such/layout"} {
		_, err := build.OpenBaseWith(ref, httpOptions)
		if !errors.Is(err, build.ErrInvalid) || !strings.Contains(err.Error(), "REGISTRY/REPOSITORY") {
			t.Errorf("OpenBase(%q): %v, want an ErrInvalid naming both forms", ref, err)
		}
	}
	// A reference to a repository that is not there: the error names it.
	b, err = build.OpenBaseWith(reg.Host()+"/nothing:v1", httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Image(ctx, amd64)
	if !errors.Is(err, image.ErrNotFound) || !strings.Contains(err.Error(), reg.Host()+"/nothing") {
		t.Errorf("missing repository: %v", err)
	}
	// A name without a registry is read as Docker Hub's, and the error
	// also says that no file has the name. (No request leaves the test:
	// the reference is only parsed.)
	b, err = build.OpenBaseWith("mybase:v1", httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "docker.io/library/mybase:v1" {
		t.Errorf("Name %q", b.Name())
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel() // fail before any request
	if _, err := b.Image(cancelled, amd64); err == nil || !strings.Contains(err.Error(), "no file or directory mybase:v1") {
		t.Errorf("a name that is no file, read as Docker Hub's: %v", err)
	}
}

func TestRegistryOutputChecks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		out  build.Output
		want string
	}{
		{build.Output{Format: build.Registry}, "no reference"},
		{build.Output{Format: build.Registry, Path: "Reg.Example/App"}, "invalid reference"},
		{build.Output{Format: build.Registry, Path: "reg.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}, "not a digest"},
		{build.Output{Format: build.Registry, Path: "reg.example/app", Writer: os.Stdout}, "no Writer"},
	} {
		_, err := build.Run(context.Background(), build.Recipe{Package: hello(t), Outputs: []build.Output{tc.out}})
		if !errors.Is(err, build.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want ErrInvalid saying %q", tc.out, err, tc.want)
		}
	}
	twice := build.Output{Format: build.Registry, Path: "alpine"}
	other := build.Output{Format: build.Registry, Path: "docker.io/library/alpine:latest"}
	if _, err := build.Run(context.Background(), build.Recipe{Package: hello(t), Outputs: []build.Output{twice, other}}); !errors.Is(err, build.ErrInvalid) || !strings.Contains(err.Error(), "twice") {
		t.Errorf("the same reference twice: %v", err)
	}
}

// TestRunConcurrentOwnCredentials runs two builds at once in one process,
// each pushing to a registry of its own with its own credentials and
// writing a layout, with Files (read once, hashed for the report): each
// lands where it should, and a build given the other's credentials is
// refused, so no credential leaks from one run to the other.
func TestRunConcurrentOwnCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(conf, []byte("k: v\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	users := []string{"alice", "bob"}
	regs := make([]*registrytest.Registry, 2)
	for i, u := range users {
		regs[i] = registrytest.New(t, registrytest.Options{User: u, Password: u + "-secret"})
	}
	recipe := func(i int, user string) build.Recipe {
		o := httpOptions
		o.Username, o.Password = user, user+"-secret"
		return build.Recipe{
			Package:   hello(t),
			Platforms: []image.Platform{amd64},
			Files:     []build.File{{Source: conf, Path: "/etc/app.yaml"}},
			Outputs: []build.Output{
				{Format: build.Registry, Path: regs[i].Host() + "/app:v1", Remote: o},
				{Format: build.Layout, Path: filepath.Join(dir, user)},
			},
		}
	}
	res := make([]*build.Result, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() { res[i], errs[i] = build.Run(t.Context(), recipe(i, u)) })
	}
	wg.Wait()
	for i, u := range users {
		if errs[i] != nil {
			t.Fatalf("%s's build: %v", u, errs[i])
		}
		o := httpOptions
		o.Username, o.Password = u, u+"-secret"
		got, err := remote.Pull(t.Context(), regs[i].Host()+"/app:v1", o)
		if err != nil || got.Digest() != res[i].Artifact.Digest() {
			t.Errorf("%s's registry: %v, %v; want the image Run returned, %s", u, got, err, res[i].Artifact.Digest())
		}
		if fs := res[i].Report.Platforms[0].Files; len(fs) != 1 || fs[0].Size != 5 {
			t.Errorf("%s's report of Files: %+v, want /etc/app.yaml, 5 bytes", u, fs)
		}
	}
	// alice's credentials at bob's registry.
	r := recipe(1, "alice")
	r.Outputs = r.Outputs[:1]
	if _, err := build.Run(t.Context(), r); err == nil {
		t.Error("a push with alice's credentials to bob's registry succeeded")
	}
}
