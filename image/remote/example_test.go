package remote_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
)

// Push a two-platform index to a registry over TLS with a password, push
// it again (which sends nothing), and pull one platform back. The
// registry here is imagetest's, on a loopback port; against a real one,
// leave HTTPClient out and set CAFiles if its CA is not a public one.
func ExamplePush() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{TLS: true, User: "ci", Password: "s3cret"})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	idx, err := imagetest.Spec{Seed: 1, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}}.Index(ctx)
	if err != nil {
		log.Fatal(err)
	}

	opts := remote.Options{
		HTTPClient: reg.Client(), // trusts the registry's CA
		Username:   "ci",
		Password:   "s3cret",
	}
	ref := reg.Host() + "/app:v1"
	desc, err := remote.Push(ctx, ref, idx, opts)
	if err != nil {
		log.Fatal(err) // one line: registry, repository, operation, status, credentials
	}
	fmt.Println("pushed the index's own digest:", desc.Digest == idx.Digest())

	reg.ResetLog()
	if _, err := remote.Push(ctx, ref, idx, opts); err != nil {
		log.Fatal(err)
	}
	for _, r := range reg.Log() {
		fmt.Println("push again:", r.Method, r.Path, r.Status)
	}

	arm, err := remote.PullImage(ctx, ref, image.Platform{OS: "linux", Architecture: "arm64"}, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pulled", arm.Platform(), arm.Digest() == idx.Images()[1].Digest())
	// Output:
	// pushed the index's own digest: true
	// push again: HEAD /v2/app/manifests/v1 401
	// push again: HEAD /v2/app/manifests/v1 200
	// pulled linux/arm64 true
}

// Report each blob as a push goes, as a command line does on stderr.
func ExampleOptions_progress() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	img, err := imagetest.Spec{Seed: 2, Layers: 2}.Image(ctx)
	if err != nil {
		log.Fatal(err)
	}
	opts := remote.Options{
		InsecureAllowHTTP: true, // this registry serves plain HTTP
		Jobs:              1,    // one blob at a time, for a stable order
		Progress: func(p remote.Progress) {
			if p.State != remote.Uploading {
				fmt.Println(p.Descriptor.MediaType, p.State)
			}
		},
	}
	if _, err := remote.Push(ctx, reg.Host()+"/app:v1", img, opts); err != nil {
		log.Fatal(err)
	}
	fmt.Println("under another tag:")
	if _, err := remote.Push(ctx, reg.Host()+"/app:v2", img, opts); err != nil {
		log.Fatal(err)
	}
	// Output:
	// application/vnd.oci.image.layer.v1.tar+gzip uploaded
	// application/vnd.oci.image.layer.v1.tar+gzip uploaded
	// application/vnd.oci.image.config.v1+json uploaded
	// application/vnd.oci.image.manifest.v1+json uploaded
	// under another tag:
	// application/vnd.oci.image.manifest.v1+json uploaded
}

// Share one Mounts between the pushes of a process: a blob one push
// sent to the registry is mounted into the other repositories.
func ExampleMounts() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	img, err := imagetest.Spec{Seed: 3}.Image(ctx)
	if err != nil {
		log.Fatal(err)
	}
	opts := remote.Options{
		InsecureAllowHTTP: true,
		Jobs:              1,
		Mounts:            remote.NewMounts(),
		Progress: func(p remote.Progress) {
			if p.State == remote.Uploaded || p.State == remote.Mounted {
				fmt.Println(p.Descriptor.MediaType, p.State)
			}
		},
	}
	for _, repo := range []string{"app", "tool"} {
		fmt.Println(repo + ":")
		if _, err := remote.Push(ctx, reg.Host()+"/"+repo+":v1", img, opts); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// app:
	// application/vnd.oci.image.layer.v1.tar+gzip uploaded
	// application/vnd.oci.image.config.v1+json uploaded
	// application/vnd.oci.image.manifest.v1+json uploaded
	// tool:
	// application/vnd.oci.image.layer.v1.tar+gzip mounted
	// application/vnd.oci.image.config.v1+json mounted
	// application/vnd.oci.image.manifest.v1+json uploaded
}

// The last job of a CI matrix: each runner pushed its platform's image,
// and one index of them goes up under several tags. Pulling the sources
// with the Options that push uses (one Mounts) would mount a child from
// another repository; here both are in the repository already, so only
// the index is sent: a manifest PUT per tag, no blob request.
func ExamplePush_merge() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	opts := remote.Options{InsecureAllowHTTP: true, Mounts: remote.NewMounts()}
	var srcs []image.MergeSource
	for i, arch := range []string{"amd64", "arm64"} {
		img, err := imagetest.Spec{Seed: uint64(10 + i), Platforms: []image.Platform{{OS: "linux", Architecture: arch}}}.Image(ctx)
		if err != nil {
			log.Fatal(err)
		}
		ref := reg.Host() + "/app:v1-" + arch // what the runner pushed
		if _, err := remote.Push(ctx, ref, img, opts); err != nil {
			log.Fatal(err)
		}
		pulled, err := remote.Pull(ctx, ref, opts)
		if err != nil {
			log.Fatal(err)
		}
		srcs = append(srcs, image.MergeSource{Name: ref, Artifact: pulled})
	}
	ix, err := image.MergeIndex(srcs, image.MergeOptions{})
	if err != nil {
		log.Fatal(err)
	}

	reg.ResetLog()
	if _, err := remote.Push(ctx, reg.Host()+"/app:v1", ix, opts, "v1.0", "latest"); err != nil {
		log.Fatal(err)
	}
	for _, r := range reg.Log() {
		if r.Method != http.MethodHead || strings.Contains(r.Path, "/blobs/") {
			fmt.Println(r.Method, r.Path)
		}
	}
	// Output:
	// PUT /v2/app/manifests/v1
	// PUT /v2/app/manifests/v1.0
	// PUT /v2/app/manifests/latest
}
