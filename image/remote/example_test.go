package remote_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/remote"
)

// Push an image to a registry, with a CA file and a progress line per
// blob, and print the reference with its digest, as a release script
// records it. (It needs a registry, so it is compiled but not run.)
func ExamplePush() {
	ctx := context.Background()
	img, err := imagetest.Spec{Seed: 1}.Image(ctx) // or one built with image.New
	if err != nil {
		log.Fatal(err)
	}
	desc, err := remote.Push(ctx, "registry.example.com:5000/app:v1", img, remote.Options{
		CAFiles: []string{"/etc/ssl/registry-ca.pem"},
		Progress: func(p remote.Progress) {
			if p.State != remote.Uploading {
				fmt.Fprintf(os.Stderr, "%s %s\n", p.Descriptor.Digest, p.State)
			}
		},
	})
	if err != nil {
		log.Fatal(err) // one line: registry, repository, operation, status, credentials
	}
	fmt.Printf("registry.example.com:5000/app@%s\n", desc.Digest)
}

// Pull the arm64 image of a multi-platform tag and build on it; pushing
// the result to the same registry mounts the base's layers instead of
// uploading them. (It needs a registry, so it is compiled but not run.)
func ExamplePullImage() {
	ctx := context.Background()
	base, err := remote.PullImage(ctx, "docker.io/library/alpine:3.20",
		image.Platform{OS: "linux", Architecture: "arm64"}, remote.Options{})
	if err != nil {
		log.Fatal(err)
	}
	app := image.FromBase(base, "docker.io/library/alpine:3.20").WithEntrypoint("/bin/sh", "-c", "echo hi")
	fmt.Println(len(app.Layers()) == len(base.Layers()))
}
