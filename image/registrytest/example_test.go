package registrytest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A registry for a test of code that pushes and pulls with net/http. In a
// test, registrytest.New(t, opts) does the same and stops the
// registry when the test ends.
func ExampleStart() {
	reg, err := registrytest.Start(registrytest.Options{TLS: true})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	client := reg.Client() // trusts the registry's CA

	// Push a config blob and a manifest, as a client would.
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	configDigest := digest.FromBytes(config)
	resp, err := client.Post(reg.URL()+"/v2/app/blobs/uploads/?digest="+configDigest.String(), "application/octet-stream", bytes.NewReader(config))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("push config:", resp.Status)
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[]}`,
		ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageConfig, configDigest, len(config))
	req, _ := http.NewRequest("PUT", reg.URL()+"/v2/app/manifests/v1", strings.NewReader(manifest))
	req.Header.Set("Content-Type", ocispec.MediaTypeImageManifest)
	if resp, err = client.Do(req); err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("push manifest:", resp.Status, resp.Header.Get("Docker-Content-Digest"))

	// Pull it by tag.
	if resp, err = client.Get(reg.URL() + "/v2/app/manifests/v1"); err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("pull:", resp.Header.Get("Content-Type"), string(body) == manifest)

	// The log tells what the client did.
	for _, r := range reg.Log() {
		fmt.Println(r.Method, r.Path, r.Status, r.BytesIn, r.BytesOut)
	}
	// Output:
	// push config: 201 Created
	// push manifest: 201 Created sha256:09ade42fe3e69018a3360bb092265af902f9e7d6013146cf152c82ac3a944707
	// pull: application/vnd.oci.image.manifest.v1+json true
	// POST /v2/app/blobs/uploads/ 201 78 0
	// PUT /v2/app/manifests/v1 201 247 0
	// GET /v2/app/manifests/v1 200 0 247
}

// Fail makes the registry misbehave, to test how a client copes: here it
// answers the next two pulls of a manifest with 503 and Retry-After.
func ExampleRegistry_Fail() {
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	reg.Fail(registrytest.Fault{Method: "GET", Path: "/manifests/", Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Times: 2})
	for range 3 {
		resp, err := reg.Client().Get(reg.URL() + "/v2/app/manifests/v1")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Output:
	// 503 1
	// 503 1
	// 404
}

// Put (Preload in a test) stores a fixture in the registry, for the code
// under test to pull. Here a few lines of net/http pull it back, through
// image.Load.
func ExampleRegistry_Put() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	img, err := imagetest.Spec{Seed: 1, Files: 2, Size: 16}.Image(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := reg.Put(ctx, "fixtures/app", img, "v1"); err != nil {
		log.Fatal(err)
	}

	// Pull: resolve the tag, then load the image blob by blob.
	f := fetcher{client: reg.Client(), repo: reg.URL() + "/v2/fixtures/app"}
	resp, err := f.client.Head(f.repo + "/manifests/v1")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	desc := ocispec.Descriptor{MediaType: resp.Header.Get("Content-Type"), Digest: digest.Digest(resp.Header.Get("Docker-Content-Digest")), Size: resp.ContentLength}
	pulled, err := image.Load(ctx, f, desc)
	if err != nil {
		log.Fatal(err)
	}
	files, err := imagetest.Flatten(ctx, pulled.(*image.Image))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pulled.Digest() == img.Digest())
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if files[p].Mode.IsRegular() {
			fmt.Println(p)
		}
	}
	// Output:
	// true
	// /usr/share/fixture/layer1/file001.txt
	// /usr/share/fixture/layer1/file002.txt
}

// fetcher is an image.Fetcher of one repository of a registry.
type fetcher struct {
	client *http.Client
	repo   string // URL of the repository: https://HOST/v2/NAME
}

func (f fetcher) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	kind := "/blobs/"
	if mediatype.IsManifest(d.MediaType) || mediatype.IsIndex(d.MediaType) {
		kind = "/manifests/"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", f.repo+kind+d.Digest.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", d.MediaType)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	return resp.Body, nil
}
