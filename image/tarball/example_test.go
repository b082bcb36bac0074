package tarball_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/tarball"
)

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "tarball")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithEntrypoint("/app")
	// app.tar loads with docker load, podman load, skopeo and crane.
	p := filepath.Join(dir, "app.tar")
	if err := tarball.WriteFile(context.Background(), p, img, tarball.Options{Tags: []string{"example.com/app:v1"}}); err != nil {
		log.Fatal(err)
	}
	t, err := tarball.Read(p)
	if err != nil {
		log.Fatal(err)
	}
	got, err := t.Image(context.Background(), "example.com/app:v1", image.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Tags(), got.Digest() == img.Digest())
	// Output: [example.com/app:v1] true
}
