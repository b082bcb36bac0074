package listing_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/listing"
	"github.com/minimage/minimage/layer"
)

// One image of one layer, listed as "minimage inspect" shows it.
func Example() {
	ctx := context.Background()
	b := layer.New(layer.Options{})
	if err := b.AddFile("/etc/motd", []byte("hello\n"), layer.Attr{Mode: 0o644}); err != nil {
		log.Fatal(err)
	}
	l, err := b.Build(ctx)
	if err != nil {
		log.Fatal(err)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(l)
	err = listing.WriteText(ctx, os.Stdout, []listing.Entry{{Tags: []string{"v1"}, Artifact: img}}, listing.Options{})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// tag v1
	// linux/amd64  image sha256:526a76c6c24f01d1c1f410b77a5e4d9c132e58fe58acaa585ce9e67791ed4575
	//   created     1970-01-01T00:00:00Z
	//   user        65532:65532
	//   layer 1/1  sha256:14dfeed06f653d575eadef8e626b078a5af33aae2ef4f9ff03afb1cc98f9b54a  139 B  tar+gzip  minimage: layer sha256:14dfeed06f65
	//       drwxr-xr-x 0:0                  0  /etc/
	//       -rw-r--r-- 0:0                  6  /etc/motd
	//       2 files, 6 B
}

// Files lists a layer's entries one at a time, never holding the layer.
func ExampleFiles() {
	ctx := context.Background()
	b := layer.New(layer.Options{})
	if err := b.AddFile("/usr/bin/app", []byte("#!/bin/true\n"), layer.Attr{Mode: 0o755}); err != nil {
		log.Fatal(err)
	}
	if err := b.AddSymlink("/bin/app", "/usr/bin/app", layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	l, err := b.Build(ctx)
	if err != nil {
		log.Fatal(err)
	}
	n, size, err := listing.Files(ctx, l, func(f listing.File) error {
		fmt.Println(f)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "entries,", size, "bytes")
	// Output:
	// drwxr-xr-x 0:0                  0  /bin/
	// lrwxrwxrwx 0:0                  0  /bin/app -> /usr/bin/app
	// drwxr-xr-x 0:0                  0  /usr/
	// drwxr-xr-x 0:0                  0  /usr/bin/
	// -rwxr-xr-x 0:0                 12  /usr/bin/app
	// 5 entries, 12 bytes
}
