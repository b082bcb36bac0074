package remote

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// These tests run against image/imagetest's in-process registry, which
// needs no binary: bearer tokens, the referrers API and its faults.

func TestBearerToken(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{TLS: true, BearerToken: true, User: "ci", Password: "tok3n-pass"})
	ctx := context.Background()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ix := imagetest.Index(t, imagetest.Spec{Seed: 81, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}})
	opts := Options{HTTPClient: reg.Client(), Username: "ci", Password: "tok3n-pass"}

	if _, err := Push(ctx, reg.Host()+"/team/app:v1", ix, opts); err != nil {
		t.Fatal(err)
	}
	got, err := Pull(ctx, reg.Host()+"/team/app:v1", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != ix.Digest() {
		t.Errorf("pulled %s, pushed %s", got.Digest(), ix.Digest())
	}
	imagetest.EqualFiles(t, got, ix)

	bad := opts
	bad.Password = "wrong-pass"
	_, err = Push(ctx, reg.Host()+"/team/app:v2", ix, bad)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), reg.Host()) || strings.Contains(err.Error(), "wrong-pass") {
		t.Errorf("wrong password with a token server: %v", err)
	}
	t.Logf("error: %v", err)
}

func TestPushReferrer(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	ctx := context.Background()
	img := imagetest.Image(t, imagetest.Spec{Seed: 82})
	opts := Options{InsecureAllowHTTP: true}
	if _, err := Push(ctx, reg.Host()+"/app:v1", img, opts); err != nil {
		t.Fatal(err)
	}
	subject := img.Descriptor()
	sbom, err := image.NewManifest("application/spdx+json",
		[]image.Blob{image.BlobFromBytes("application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))},
		&subject, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, reg.Host()+"/app@"+sbom.Digest().String(), sbom, opts); err != nil {
		t.Fatal(err)
	}
	// Again: the manifest is there, which one HEAD finds.
	reg.ResetLog()
	if _, err := Push(ctx, reg.Host()+"/app@"+sbom.Digest().String(), sbom, opts); err != nil {
		t.Fatal(err)
	}
	if log := reg.Log(); len(log) != 1 || log[0].Method != http.MethodHead {
		t.Errorf("a push by digest of a manifest the registry holds sent %v, want one HEAD", log)
	}
	resp, err := reg.Client().Get(reg.URL() + "/v2/app/referrers/" + img.Digest().String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var refs ocispec.Index
	if err := json.NewDecoder(resp.Body).Decode(&refs); err != nil {
		t.Fatal(err)
	}
	if len(refs.Manifests) != 1 || refs.Manifests[0].Digest != sbom.Digest() || refs.Manifests[0].ArtifactType != "application/spdx+json" {
		t.Errorf("referrers of the image: %+v, want the SBOM %s", refs.Manifests, sbom.Digest())
	}
	got, err := Pull(ctx, reg.Host()+"/app@"+sbom.Digest().String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.(*image.Manifest); !ok || got.Digest() != sbom.Digest() {
		t.Errorf("pulled %T %s, want the SBOM manifest %s", got, got.Digest(), sbom.Digest())
	}
}

func TestImagetestRegistryFaults(t *testing.T) {
	t.Parallel() // its own registry; most of its time is waiting
	ctx := context.Background()
	opts := Options{InsecureAllowHTTP: true}
	big := func(seed uint64) *image.Image {
		return imagetest.Image(t, imagetest.Spec{Seed: seed, Files: 4, Size: 1 << 20, Compression: layer.Uncompressed})
	}

	t.Run("upload cut, the registry keeping part of it", func(t *testing.T) {
		reg := registrytest.New(t, registrytest.Options{})
		reg.Fail(registrytest.Fault{Method: http.MethodPut, Path: `/blobs/uploads/`, CutRequest: true, After: 512 << 10, Times: 2})
		img := big(91)
		if _, err := Push(ctx, reg.Host()+"/app:v1", img, opts); err != nil {
			t.Fatal(err)
		}
		got, err := Pull(ctx, reg.Host()+"/app:v1", opts)
		if err != nil {
			t.Fatal(err)
		}
		imagetest.EqualFiles(t, got, img)
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		reg := registrytest.New(t, registrytest.Options{})
		reg.Fail(registrytest.Fault{Method: http.MethodPost, Path: `/blobs/uploads/`, Status: http.StatusTooManyRequests, RetryAfter: time.Second})
		start := time.Now()
		if _, err := Push(ctx, reg.Host()+"/app:v1", big(92), opts); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("push took %v: it did not wait the Retry-After", d)
		}
	})
	t.Run("download cut", func(t *testing.T) {
		reg := registrytest.New(t, registrytest.Options{})
		img := big(93)
		reg.Preload(t, "app", img, "v1")
		reg.Fail(registrytest.Fault{Method: http.MethodGet, Path: img.Layers()[0].Digest().Encoded(), CutResponse: true, After: 700 << 10, Times: 2})
		got, err := Pull(ctx, reg.Host()+"/app:v1", opts)
		if err != nil {
			t.Fatal(err)
		}
		imagetest.EqualFiles(t, got, img)
		var cut int
		for _, r := range reg.Log() {
			if r.Fault {
				cut++
			}
		}
		if cut != 2 {
			t.Errorf("%d requests cut, want 2: %+v", cut, reg.Log())
		}
	})
}
