package layer_test

import (
	"context"
	"fmt"
	"log"
	"testing/fstest"
	"time"

	"github.com/minimage/minimage/layer"
)

// A layer with a config file, a directory of static assets from an fs.FS
// (an embed.FS works the same) and a symlink. The digests are the same on
// every machine.
func Example() {
	b := layer.New(layer.Options{})
	assets := fstest.MapFS{"index.html": {Data: []byte("<h1>hello</h1>\n")}}
	for _, err := range []error{
		b.AddFile("/etc/app/config.json", []byte(`{"port":8080}`), layer.Attr{Mode: 0o640, UID: 65532, GID: 65532}),
		b.AddFS("/srv/www", assets, layer.Attr{}),
		b.AddSymlink("/srv/current", "www", layer.Attr{}),
	} {
		if err != nil {
			log.Fatal(err)
		}
	}
	l, err := b.Build(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.MediaType())
	fmt.Println(l.DiffID())
	// Output:
	// application/vnd.oci.image.layer.v1.tar+gzip
	// sha256:1ee6efa50a86aeb96f16979d7d0c11f3f0b7d2d33baa306ee1d022c17afe5d01
}

// Reproducible builds take their time from SOURCE_DATE_EPOCH when the
// caller asks for it; the package never reads the environment on its own.
func ExampleSourceDateEpoch() {
	opts := layer.Options{Compression: layer.Zstd}
	if t, ok, err := layer.SourceDateEpoch(); err != nil {
		log.Fatal(err)
	} else if ok {
		opts.ModTime = t
	}
	b := layer.New(opts)
	if err := b.AddFile("/VERSION", []byte("1.0.0\n"), layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	l, err := b.Build(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.MediaType(), opts.ModTime.IsZero() || opts.ModTime.Before(time.Now()))
	// Output: application/vnd.oci.image.layer.v1.tar+zstd true
}
