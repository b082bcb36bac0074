package image_test

import (
	"context"
	"errors"
	"fmt"
	"log"

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

func ExampleImage_AddBinary() {
	img, err := image.New(image.Platform{OS: "linux", Architecture: "arm64"}).
		AddBinary(context.Background(), "/app", bin("amd64"), image.BinaryOptions{})
	// bin("amd64") is a static linux/amd64 Go program.
	fmt.Println(img == nil, errors.Is(err, image.ErrWrongArch))
	// Output: true true
}
