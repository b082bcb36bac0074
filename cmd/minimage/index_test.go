package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
)

// The CI matrix: two runners pushed app:v1-amd64 and app:v1-arm64, and
// index create makes app:v1 of them, sending nothing but the index.
func TestIndexCreate(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ctx := context.Background()
	opts := remote.Options{InsecureAllowHTTP: true}
	plat := func(arch string) []image.Platform { return []image.Platform{{OS: "linux", Architecture: arch}} }
	amd := imagetest.Image(t, imagetest.Spec{Seed: 201, Layers: 2, Platforms: plat("amd64")})
	arm := imagetest.Image(t, imagetest.Spec{Seed: 202, Layers: 2, Platforms: plat("arm64")})
	armFix := imagetest.Image(t, imagetest.Spec{Seed: 203, Layers: 2, Platforms: plat("arm64")})
	riscv := imagetest.Image(t, imagetest.Spec{Seed: 204, Layers: 2, Platforms: plat("riscv64")})
	for name, img := range map[string]*image.Image{"app:v1-amd64": amd, "app:v1-arm64": arm, "app:fix-arm64": armFix, "lib:riscv64": riscv} {
		if _, err := remote.Push(ctx, reg.Host()+"/"+name, img, opts); err != nil {
			t.Fatal(err)
		}
	}
	r := func(name string) string { return reg.Host() + "/" + name }
	create := func(t *testing.T, args ...string) string {
		t.Helper()
		reg.ResetLog()
		code, out, errs := minimage(t, append([]string{"index", "create", "-q", "--insecure-allow-http"}, args...)...)
		if code != 0 {
			t.Fatalf("index create %q: exit %d\n%s", args, code, errs)
		}
		return out
	}
	pulled := func(t *testing.T, name string) *image.Index {
		t.Helper()
		a, err := remote.Pull(ctx, name, opts)
		if err != nil {
			t.Fatal(err)
		}
		return a.(*image.Index)
	}

	t.Run("two pushes, nothing but the index sent", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		out := create(t, "--annotation", "org.opencontainers.image.version=1.0", "-t", "latest,1", "-o", dir, r("app:v1"), r("app:v1-amd64"), r("app:v1-arm64"))
		var puts []string
		for _, q := range reg.Log() {
			if strings.Contains(q.Path, "/blobs/") && q.Method != http.MethodGet {
				t.Errorf("blob request %s %s", q.Method, q.Path)
			}
			if q.Method == http.MethodPut {
				puts = append(puts, strings.TrimPrefix(q.Path, "/v2/app/manifests/"))
			}
		}
		if got := strings.Join(puts, " "); got != "v1 latest 1" {
			t.Errorf("PUTs %q, want the index's under v1, latest and 1", got)
		}
		ix := pulled(t, r("app:v1"))
		if out != r("app:v1")+"@"+ix.Digest().String()+"\n" {
			t.Errorf("stdout %q, want the reference with digest %s", out, ix.Digest())
		}
		if ix.Image(amd.Platform()).Digest() != amd.Digest() || ix.Image(arm.Platform()).Digest() != arm.Digest() || len(ix.Manifests()) != 2 {
			t.Errorf("index lists %v; want the pushed images unchanged", ix.Index().Manifests)
		}
		if v := ix.Annotations()["org.opencontainers.image.version"]; v != "1.0" {
			t.Errorf("annotation %q, want 1.0", v)
		}
		for _, name := range []string{r("app:latest"), r("app:1")} {
			if d := pulled(t, name).Digest(); d != ix.Digest() {
				t.Errorf("%s is %s, want %s", name, d, ix.Digest())
			}
		}
		for _, tag := range []string{"v1", "latest"} {
			if d := layoutDigest(t, dir, tag); d != ix.Digest().String() {
				t.Errorf("-o %s tagged %s holds %s, want %s", dir, tag, d, ix.Digest())
			}
		}
	})
	t.Run("same platform twice", func(t *testing.T) {
		code, _, errs := minimage(t, "index", "create", "--insecure-allow-http", r("app:v2"), r("app:v1"), r("app:fix-arm64"))
		for _, want := range []string{r("app:v1") + " and " + r("app:fix-arm64"), "linux/arm64", "duplicate platform"} {
			if code != 1 || !strings.Contains(errs, want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, want)
			}
		}
		create(t, "--replace", r("app:v2"), r("app:v1"), r("app:fix-arm64"))
		ix := pulled(t, r("app:v2"))
		if ix.Image(arm.Platform()).Digest() != armFix.Digest() || ix.Image(amd.Platform()).Digest() != amd.Digest() {
			t.Errorf("--replace: index lists %v; want the later arm64 image", ix.Index().Manifests)
		}
	})
	t.Run("a child from another repository is mounted", func(t *testing.T) {
		create(t, r("app:v3"), r("app:v1-amd64"), r("lib:riscv64"))
		mounted := 0
		for _, q := range reg.Log() {
			v, _ := url.ParseQuery(q.Query)
			switch {
			case q.Method == http.MethodPost && v.Has("mount"):
				if v.Get("from") != "lib" || q.Status != http.StatusCreated {
					t.Errorf("mount %s?%s: status %d", q.Path, q.Query, q.Status)
				}
				mounted++
			case strings.Contains(q.Path, "/blobs/uploads/"):
				t.Errorf("upload %s %s", q.Method, q.Path)
			}
		}
		if want := len(riscv.Blobs()) - 1; mounted != want {
			t.Errorf("%d blobs mounted, want riscv64's %d", mounted, want)
		}
		if ix := pulled(t, r("app:v3")); ix.Image(riscv.Platform()).Digest() != riscv.Digest() {
			t.Errorf("index lists %v", ix.Index().Manifests)
		}
	})
	t.Run("from a layout and a tarball, into a tarball", func(t *testing.T) {
		lay := imagetest.WriteLayout(t, amd, "v1")
		tar := imagetest.WriteTarball(t, arm, "app:arm")
		dst := filepath.Join(t.TempDir(), "all.tar")
		out := create(t, dst+":app:v1", lay+":v1", tar)
		src, err := ref.Parse(dst+":app:v1", ref.Options{Local: true})
		if err != nil {
			t.Fatal(err)
		}
		a, err := src.Artifact(ctx, remote.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if out != dst+":app:v1@"+a.Digest().String()+"\n" || len(a.Images()) != 2 || a.Images()[0].Digest() != amd.Digest() || a.Images()[1].Digest() != arm.Digest() {
			t.Errorf("stdout %q; %s holds %v", out, dst, a.Descriptor())
		}
		if _, err := layout.Read(lay); err != nil {
			t.Error(err)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"index"}, {"index", "make"}, {"index", "create", r("app:v9")}, {"index", "create", "--annotation", "novalue", r("app:v9"), r("app:v1")}} {
			if code, _, _ := minimage(t, args...); code != 2 {
				t.Errorf("%q: exit %d, want 2", args, code)
			}
		}
	})
}

// push -t tags the pushed digest with each more tag, and prints each.
func TestPushTagsCommand(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	img := imagetest.Image(t, imagetest.Spec{Seed: 205})
	dir := imagetest.WriteLayout(t, img, "v1")
	refs := filepath.Join(t.TempDir(), "refs")
	code, out, errs := minimage(t, "push", "-q", "--insecure-allow-http", "--image-refs", refs, dir+":v1", reg.Host()+"/app:v1.2.3", "-t", "v1.2,v1", "--tag", "latest")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var want []string
	for _, tag := range []string{"v1.2.3", "v1.2", "v1", "latest"} {
		want = append(want, reg.Host()+"/app:"+tag+"@"+img.Digest().String())
		a, err := remote.Pull(context.Background(), reg.Host()+"/app:"+tag, remote.Options{InsecureAllowHTTP: true})
		if err != nil || a.Digest() != img.Digest() {
			t.Errorf("tag %s: %v, %v", tag, a, err)
		}
	}
	if w := strings.Join(want, "\n") + "\n"; out != w {
		t.Errorf("stdout %q, want %q", out, w)
	}
	if data, _ := os.ReadFile(refs); string(data) != strings.Join(want, "\n")+"\n" {
		t.Errorf("--image-refs wrote %q", data)
	}
}
