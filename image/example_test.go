package image_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
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
	b := layer.New(layer.Options{Compression: layer.Uncompressed})
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

func ExampleWriteLayout() {
	dir, err := os.MkdirTemp("", "layout")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithEntrypoint("/app")
	ctx := context.Background()
	if err := image.WriteLayout(ctx, dir, img, image.LayoutOptions{Tags: []string{"v1"}}); err != nil {
		log.Fatal(err)
	}
	// Writing again keeps v1.
	if err := image.WriteLayout(ctx, dir, img.WithEnv("DEBUG", "1"), image.LayoutOptions{Tags: []string{"debug"}}); err != nil {
		log.Fatal(err)
	}
	l, err := image.ReadLayout(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Tags())
	_, err = os.Stat(filepath.Join(dir, "blobs", "sha256", img.Digest().Encoded()))
	fmt.Println(err == nil)
	// Output:
	// [v1 debug]
	// true
}

func ExampleWriteTarball() {
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithEntrypoint("/app")
	var buf bytes.Buffer
	// The file loads with docker load, podman load and skopeo.
	if err := image.WriteTarball(context.Background(), &buf, img, image.TarballOptions{Tags: []string{"example.com/app:v1"}}); err != nil {
		log.Fatal(err)
	}
	f, err := os.CreateTemp("", "image-*.tar")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	f.Write(buf.Bytes())
	f.Close()
	l, err := image.ReadTarball(f.Name())
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	got, err := l.Image("example.com/app:v1", image.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Digest() == img.Digest())
	// Output: true
}

func ExampleImage_AddBinary() {
	img, err := image.New(image.Platform{OS: "linux", Architecture: "arm64"}).
		AddBinary(context.Background(), "/app", bin("amd64"), image.BinaryOptions{})
	// bin("amd64") is a static linux/amd64 Go program.
	fmt.Println(img == nil, errors.Is(err, image.ErrWrongArch))
	// Output: true true
}
