package imagetest_test

import (
	"archive/tar"
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
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// In a test, imagetest.Image(t, spec) does the same and ends the test on
// error.
func ExampleSpec_Image() {
	spec := imagetest.Spec{Seed: 1, Layers: 3, Files: 10, Size: 1024, Compression: layer.Uncompressed}
	img, err := spec.Image(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	// The same digest on every machine and every run.
	fmt.Println(img.Digest())
	fmt.Println(img.Platform(), len(img.Layers()), "layers")
	// Output:
	// sha256:da81269952e536dcf4bd6e0d1054ba643d6499958aa7eac5ef5eeaf7a237b2d3
	// linux/amd64 3 layers
}

func ExampleSpec_Index() {
	spec := imagetest.Spec{Seed: 1, Files: 4, Platforms: []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}}
	ix, err := spec.Index(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range ix.Images() {
		files, err := imagetest.Flatten(context.Background(), img)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(img.Platform(), len(files), "paths")
	}
	// Output:
	// linux/amd64 10 paths
	// linux/arm64 10 paths
	// linux/arm/v7 10 paths
}

// A layer may delete what the layers below it hold; Flatten shows what a
// container would see.
func ExampleFlatten() {
	ctx := context.Background()
	opts := layer.Options{Format: layer.Format{Compression: layer.Uncompressed}}
	base, err := imagetest.Layer{
		"etc/os-release":  "ID=fixture\n",
		"etc/motd":        "hello\n",
		"var/cache/a.bin": "\x00\x01",
		"bin/sh":          imagetest.Symlink("busybox"),
	}.Build(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	upper, err := imagetest.Layer{
		"etc/motd":    imagetest.Whiteout,
		"var/cache":   imagetest.Opaque,
		"var/cache/b": "new",
	}.Build(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(base, upper)

	files, err := imagetest.Flatten(ctx, img)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		fmt.Println(p, files[p])
	}
	// Output:
	// /bin dir 0755 0:0
	// /bin/sh symlink 0777 0:0 -> busybox
	// /etc dir 0755 0:0
	// /etc/os-release file 0644 0:0 11 bytes
	// /var dir 0755 0:0
	// /var/cache dir 0755 0:0
	// /var/cache/b file 0644 0:0 3 bytes
}

// In a test, imagetest.EqualFiles(t, got, want) reports the same lines
// with t.Error.
func ExampleDiff() {
	ctx := context.Background()
	build := func(l imagetest.Layer) *image.Image {
		built, err := l.Build(ctx, layer.Options{})
		if err != nil {
			log.Fatal(err)
		}
		return image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(built)
	}
	got := build(imagetest.Layer{"etc/os-release": "ID=alpine\n", "tmp/x": "debug"})
	want := build(imagetest.Layer{"etc/os-release": "ID=debian\n", "app": imagetest.Symlink("/usr/bin/app")})
	d, err := imagetest.Diff(ctx, got, want)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d)
	// Output:
	// 	/app: missing (want symlink 0777 0:0 -> /usr/bin/app)
	// 	/etc/os-release: content got "ID=alpine\n", want "ID=debian\n"
	// 	/tmp: unexpected (got dir 0755 0:0)
	// 	/tmp/x: unexpected (got file 0644 0:0 5 bytes)
}

// A registry for a test of code that pushes and pulls with net/http. In a
// test, imagetest.NewRegistry(t, opts) does the same and stops the
// registry when the test ends.
func ExampleStartRegistry() {
	reg, err := imagetest.StartRegistry(imagetest.RegistryOptions{TLS: true})
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
	reg, err := imagetest.StartRegistry(imagetest.RegistryOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	reg.Fail(imagetest.Fault{Method: "GET", Path: "/manifests/", Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Times: 2})
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
	reg, err := imagetest.StartRegistry(imagetest.RegistryOptions{ReadOnly: true})
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

// With gives one entry of a Layer its own mode, owner or time; the others
// keep the defaults.
func ExampleWith() {
	built := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	l, err := imagetest.Layer{
		"/etc/shadow":    imagetest.With("root:*:::::::\n", imagetest.Attr{Mode: 0o640, GID: 42}),
		"/home/nonroot/": imagetest.With("", imagetest.Attr{Mode: 0o700, UID: 65532, GID: 65532}),
		"/app":           imagetest.With("\x7fELF", imagetest.Attr{Mode: 0o755, ModTime: built}),
	}.Build(context.Background(), layer.Options{})
	if err != nil {
		log.Fatal(err)
	}
	rc, err := l.Uncompressed(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-14s %04o %d:%d %s\n", h.Name, h.Mode, h.Uid, h.Gid, h.ModTime.UTC().Format(time.DateTime))
	}
	// Output:
	// app            0755 0:0 2024-05-06 07:08:09
	// etc/           0755 0:0 1970-01-01 00:00:00
	// etc/shadow     0640 0:42 1970-01-01 00:00:00
	// home/          0755 0:0 1970-01-01 00:00:00
	// home/nonroot/  0700 65532:65532 1970-01-01 00:00:00
}
