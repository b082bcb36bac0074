package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
)

// An index whose children the repository holds costs requests for the
// children's manifests and the index's, none for a blob; a child it
// lacks is pushed whole.
func TestPushIndexOfPushedChildren(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	ctx := context.Background()
	opts := Options{InsecureAllowHTTP: true}
	amd := imagetest.Image(t, imagetest.Spec{Seed: 101, Layers: 2})
	arm := imagetest.Image(t, imagetest.Spec{Seed: 102, Layers: 2, Platforms: []image.Platform{{OS: "linux", Architecture: "arm64"}}})
	riscv := imagetest.Image(t, imagetest.Spec{Seed: 103, Layers: 2, Platforms: []image.Platform{{OS: "linux", Architecture: "riscv64"}}})
	for tag, img := range map[string]*image.Image{"v1-amd64": amd, "v1-arm64": arm} {
		if _, err := Push(ctx, reg.Host()+"/app:"+tag, img, opts); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("all children there", func(t *testing.T) {
		ix, err := image.NewIndex(amd, arm)
		if err != nil {
			t.Fatal(err)
		}
		reg.ResetLog()
		if _, err := Push(ctx, reg.Host()+"/app:v1", ix, opts); err != nil {
			t.Fatal(err)
		}
		var puts []string
		for _, r := range reg.Log() {
			if strings.Contains(r.Path, "/blobs/") {
				t.Errorf("blob request %s %s", r.Method, r.Path)
			}
			if r.Method == http.MethodPut {
				puts = append(puts, r.Path)
			}
		}
		if len(puts) != 1 || puts[0] != "/v2/app/manifests/v1" {
			t.Errorf("PUTs %v, want the index's alone", puts)
		}
	})
	t.Run("one child missing", func(t *testing.T) {
		ix, err := image.NewIndex(amd, riscv)
		if err != nil {
			t.Fatal(err)
		}
		reg.ResetLog()
		if _, err := Push(ctx, reg.Host()+"/app:v2", ix, opts); err != nil {
			t.Fatal(err)
		}
		sent := map[string]bool{}
		for _, r := range reg.Log() {
			if strings.Contains(r.Path, "/blobs/sha256:") {
				sent[r.Path[strings.LastIndexByte(r.Path, '/')+1:]] = true
			}
		}
		for _, b := range amd.Blobs() {
			if sent[b.Descriptor.Digest.String()] {
				t.Errorf("asked for %s of the child the repository holds", b.Descriptor.Digest)
			}
		}
		for _, b := range riscv.Blobs()[:len(riscv.Blobs())-1] {
			if !sent[b.Descriptor.Digest.String()] {
				t.Errorf("never asked for %s of the missing child", b.Descriptor.Digest)
			}
		}
		got, err := Pull(ctx, reg.Host()+"/app:v2", opts)
		if err != nil || got.Digest() != ix.Digest() {
			t.Fatalf("pulled %v, %v; want %s", got, err, ix.Digest())
		}
	})
}

// Push with several tags pushes once and tags many: a manifest PUT per
// extra tag, and no blob request for any of them.
func TestPushTags(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	ctx := context.Background()
	opts := Options{InsecureAllowHTTP: true}
	img := imagetest.Image(t, imagetest.Spec{Seed: 104, Layers: 2})
	if _, err := Push(ctx, reg.Host()+"/app:v1.2.3", img, opts); err != nil {
		t.Fatal(err)
	}
	reg.ResetLog()
	tags := []string{"v1.2", "v1", "latest", "v1", "v1.2.3"}
	if _, err := Push(ctx, reg.Host()+"/app:v1.2.3", img, opts, tags...); err != nil {
		t.Fatal(err)
	}
	var puts []string
	for _, r := range reg.Log() {
		if strings.Contains(r.Path, "/blobs/") {
			t.Errorf("blob request %s %s", r.Method, r.Path)
		}
		if r.Method == http.MethodPut {
			puts = append(puts, strings.TrimPrefix(r.Path, "/v2/app/manifests/"))
		}
	}
	if got, want := strings.Join(puts, " "), "v1.2 v1 latest"; got != want {
		t.Errorf("PUT tags %q, want %q", got, want)
	}
	for _, tag := range []string{"v1.2.3", "v1.2", "v1", "latest"} {
		got, err := Pull(ctx, reg.Host()+"/app:"+tag, opts)
		if err != nil || got.Digest() != img.Digest() {
			t.Errorf("tag %s: %v, %v; want %s", tag, got, err, img.Digest())
		}
	}

	reg.ResetLog()
	_, err := Push(ctx, reg.Host()+"/app:v2", img, opts, "ok", "-bad")
	if !errors.Is(err, ErrInvalidReference) || !strings.Contains(err.Error(), `"-bad"`) {
		t.Errorf("bad tag: %v, want ErrInvalidReference naming it", err)
	}
	if n := len(reg.Log()); n != 0 {
		t.Errorf("a bad tag sent %d requests, want none", n)
	}
}
