package imagetest_test

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"log"
	"maps"
	"slices"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/layer"
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
	spec := imagetest.Spec{Seed: 1, Files: 4, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}}
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

// With gives entries of a Layer a mode, owner or time of their own; the
// others keep the defaults.
func ExampleLayer_With() {
	built := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	l, err := imagetest.Layer{
		"/etc/shadow":    "root:*:::::::\n",
		"/home/nonroot/": "",
		"/app":           "\x7fELF",
	}.With(imagetest.Attrs{
		"/etc/shadow":    {Mode: 0o640, GID: 42},
		"/home/nonroot/": {Mode: 0o700, UID: 65532, GID: 65532},
		"/app":           {Mode: 0o755, ModTime: built},
	}).Build(context.Background(), layer.Options{})
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
