package image_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func ExampleNew() {
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).
		WithEntrypoint("/app").
		WithEnv("TZ", "UTC")
	c := img.Config()
	fmt.Println(c.Config.User, c.Config.Entrypoint, c.Config.Env, c.Created.Unix())
	// Output: 65532:65532 [/app] [TZ=UTC] 0
}

func ExampleImage_AppendLayer() {
	b := layer.New(layer.Options{Format: layer.Format{Compression: layer.Uncompressed}})
	if err := b.AddFile("etc/motd", []byte("hello\n"), layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	l, err := b.Build(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "arm64"}).
		AppendLayer(l, image.History{CreatedBy: "minimage: motd"})
	fmt.Println(len(img.Layers()), img.Config().RootFS.DiffIDs[0] == l.DiffID())
	// Output: 1 true
}

// FromBase builds on an image read from a layout, a tarball or a
// registry: its layers first, its config inherited, the base recorded.
func ExampleFromBase() {
	p := image.Platform{OS: "linux", Architecture: "amd64"}
	base := image.New(p).WithEnv("PATH", "/usr/bin").WithUser("0")
	img := image.FromBase(base, "example.com/base:v1").WithUser(image.DefaultUser)
	m := img.Manifest()
	fmt.Println(img.Config().Config.Env, img.Config().Config.User)
	fmt.Println(m.Annotations["org.opencontainers.image.base.name"], m.Annotations["org.opencontainers.image.base.digest"] == base.Digest().String())
	// Output:
	// [PATH=/usr/bin] 65532:65532
	// example.com/base:v1 true
}

func ExampleNewIndex() {
	amd := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithEntrypoint("/app")
	arm := image.New(image.Platform{OS: "linux", Architecture: "arm64"}).WithEntrypoint("/app")
	ix, err := image.NewIndex(amd, arm)
	if err != nil {
		log.Fatal(err)
	}
	ix = ix.WithAnnotation("org.opencontainers.image.version", "1.2.3")
	for _, d := range ix.Index().Manifests {
		fmt.Println(d.Platform.Architecture, d.Digest == ix.Image(image.Platform{OS: "linux", Architecture: d.Platform.Architecture}).Digest())
	}
	_, err = image.NewIndex(amd, amd.WithEnv("A", "1"))
	fmt.Println(errors.Is(err, image.ErrDuplicatePlatform))
	// Output:
	// amd64 true
	// arm64 true
	// true
}

// An SBOM attached to an image as an OCI 1.1 referrer: an artifact
// manifest whose subject is the image.
func ExampleNewManifest() {
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithEntrypoint("/app")
	sbom := image.BlobFromBytes("application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	subject := img.Descriptor()
	ref, err := image.NewManifest("application/spdx+json", []image.Blob{sbom}, &subject, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ref.ArtifactType(), ref.Subject().Digest == img.Digest(), len(ref.Blobs()))
	// Output: application/spdx+json true 3
}

// Load reads what any Fetcher holds: here, a map of blobs in memory.
func ExampleLoad() {
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithEntrypoint("/app")
	store := mapFetcher{}
	for _, b := range img.Blobs() {
		store[b.Descriptor.Digest] = b.Bytes() // config and manifest: no layers here
	}
	a, err := image.Load(context.Background(), store, img.Descriptor())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%T %v\n", a, a.Digest() == img.Digest())
	// Output: *image.Image true
}

type mapFetcher map[digest.Digest][]byte

func (m mapFetcher) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	b, ok := m[d.Digest]
	if !ok {
		return nil, fmt.Errorf("%s: %w", d.Digest, os.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// ParsePlatform knows the other names of Go's architectures.
func ExampleParsePlatform() {
	for _, s := range []string{"linux/arm/v7", "linux/x86_64", "aarch64"} {
		p, err := image.ParsePlatform(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println("ok:", p)
	}
	// Output:
	// ok: linux/arm/v7
	// image: platform linux/x86_64: unknown architecture "x86_64"; did you mean linux/amd64? (Go's spelling)
	// image: platform "aarch64": give OS/ARCH in Go's spelling: did you mean linux/arm64?
}

// Merging the images that two CI runners pushed into one index: each
// image keeps its digest, so signatures and SBOMs that name it stay valid.
func ExampleMergeIndex() {
	amd := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithEntrypoint("/app")
	arm := image.New(image.Platform{OS: "linux", Architecture: "arm64"}).WithEntrypoint("/app")
	ix, err := image.MergeIndex([]image.MergeSource{{Name: "app:v1-amd64", Artifact: amd}, {Name: "app:v1-arm64", Artifact: arm}}, image.MergeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ix.Platforms(), ix.Image(arm.Platform()).Digest() == arm.Digest())

	rebuilt := arm.WithEnv("REBUILT", "1")
	_, err = image.MergeIndex([]image.MergeSource{{Name: "app:v1", Artifact: ix}, {Name: "app:v1-arm64-fix", Artifact: rebuilt}}, image.MergeOptions{})
	fmt.Println(errors.Is(err, image.ErrDuplicatePlatform))
	ix, _ = image.MergeIndex([]image.MergeSource{{Name: "app:v1", Artifact: ix}, {Name: "app:v1-arm64-fix", Artifact: rebuilt}}, image.MergeOptions{Replace: true})
	fmt.Println(ix.Image(arm.Platform()).Digest() == rebuilt.Digest())
	// Output:
	// [linux/amd64 linux/arm64] true
	// true
	// true
}
