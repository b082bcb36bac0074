package rootfs_test

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"log"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/rootfs"
	"github.com/minimage/minimage/layer"
)

// Two layers: the upper one deletes a file of the lower one with a
// whiteout. The filesystem they make has the other file alone.
func Example() {
	ctx := context.Background()
	lower := layer.New(layer.Options{})
	if err := lower.AddFile("/etc/motd", []byte("hello\n"), layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	if err := lower.AddFile("/etc/secret", []byte("s3cr3t\n"), layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	upper := layer.New(layer.Options{})
	if err := upper.AddFile("/etc/.wh.secret", nil, layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"})
	for _, b := range []*layer.Builder{lower, upper} {
		l, err := b.Build(ctx)
		if err != nil {
			log.Fatal(err)
		}
		img = img.Append(l)
	}

	err := rootfs.Walk(ctx, img, func(h *tar.Header, _ io.Reader) error {
		fmt.Println(h.Name)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	_, data, err := rootfs.ReadFile(ctx, img, "/etc/motd")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", data)
	// Output:
	// etc/
	// etc/motd
	// "hello\n"
}
