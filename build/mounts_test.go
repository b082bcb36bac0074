package build_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/layer"
)

// TestRunConcurrentSharedMounts is a build tool's process: 20 builds at
// once, each of the same binary, base files, CA bundle and zone with a
// file of its own, written into one layout and pushed to 20 repositories
// of one registry, sharing one remote.Mounts, one layer.Cache and one
// layer.Limiter. Every blob goes up once; the layers all the images
// share are mounted into the 19 other repositories; the layout names all
// 20 images.
func TestRunConcurrentSharedMounts(t *testing.T) {
	t.Parallel()
	const n = 20
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	bin := helloBinary(t)
	dir := t.TempDir()
	lay := filepath.Join(t.TempDir(), "layout")
	opts := remote.Options{InsecureAllowHTTP: true, Mounts: remote.NewMounts()}
	cache, limiter := &layer.Cache{}, layer.NewLimiter(0)

	var wg sync.WaitGroup
	results := make([]*build.Result, n)
	errs := make([]error, n)
	for i := range n {
		own := filepath.Join(dir, fmt.Sprintf("build%d.txt", i))
		if err := os.WriteFile(own, []byte(fmt.Sprintf("build %d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			results[i], errs[i] = build.Run(ctx, build.Recipe{
				Binaries:  []build.Binary{{Path: bin}},
				Platforms: []image.Platform{amd64},
				Zones:     []string{"Europe/Paris"},
				Files:     []build.File{{Source: own, Path: "/etc/build.txt"}},
				Tags:      []string{fmt.Sprintf("app%d:v1", i)},
				Cache:     cache,
				Layer:     layer.Options{Limiter: limiter},
				Outputs: []build.Output{
					{Format: build.Layout, Path: lay},
					{Format: build.Registry, Path: fmt.Sprintf("%s/app%d:v1", reg.Host(), i), Remote: opts},
				},
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	c := registrytest.CountBlobs(reg.Log())
	puts, mounts, refused := c.Uploads, c.Mounts, c.Refused
	if len(puts) == 0 {
		t.Fatal("no blob was uploaded")
	}
	for d, k := range puts {
		if k != 1 {
			t.Errorf("blob %s uploaded %d times, want once", d, k)
		}
	}
	shared := map[string]int{}
	for _, res := range results {
		for _, l := range res.Images[0].Layers() {
			shared[l.Digest().String()]++
		}
	}
	var nshared int
	for d, k := range shared {
		if k < n {
			continue // a layer of its own
		}
		nshared++
		if mounts[d] != n-1 {
			t.Errorf("shared layer %s mounted %d times, want %d", d, mounts[d], n-1)
		}
	}
	// The base files, the CA bundle, the zone and the binary.
	if nshared != 4 || refused != 0 {
		t.Errorf("%d layers shared by every image, %d mounts refused; want 4, 0", nshared, refused)
	}
	l, err := layout.Read(lay)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(l.Manifests()); got != n {
		t.Errorf("the layout lists %d manifests, want %d: %v", got, n, l.Tags())
	}
	for i, res := range results {
		got, err := remote.PullImage(ctx, fmt.Sprintf("%s/app%d:v1", reg.Host(), i), amd64, httpOptions)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != res.Artifact.Digest() {
			t.Errorf("app%d holds %s, build %d made %s", i, got.Digest(), i, res.Artifact.Digest())
		}
		a, err := l.Artifact(ctx, fmt.Sprintf("app%d:v1", i))
		if err != nil {
			t.Fatal(err)
		}
		if a.Digest() != res.Artifact.Digest() {
			t.Errorf("the layout's app%d:v1 is %s, build %d made %s", i, a.Digest(), i, res.Artifact.Digest())
		}
	}
	if _, err := l.Verify(ctx); err != nil {
		t.Error(err)
	}
}

// helloBinary builds the hello example for amd64, once, and returns its
// path.
func helloBinary(t *testing.T) string {
	t.Helper()
	res, err := build.Run(t.Context(), build.Recipe{Package: hello(t), Platforms: []image.Platform{amd64}, Bare: true})
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(bin, []byte(imagetest.Files(t, res.Images[0])["/hello"].Content), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}
