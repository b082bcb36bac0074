package layer_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log"
	"sync"
	"testing/fstest"
	"time"

	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/mediatype"
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
	opts := layer.Options{Format: layer.Format{Compression: layer.Zstd}}
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

// A tar stream becomes a layer two ways: FromTar keeps its bytes exactly,
// while a Builder's AddTar normalizes its entries (sorted, dated
// Format.ModTime).
func ExampleFromTar() {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6, ModTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)})
	tw.Write([]byte("hello\n"))
	tw.Close()
	stream := buf.Bytes()

	ctx := context.Background()
	kept, err := layer.FromTar(ctx, bytes.NewReader(stream), layer.Options{})
	if err != nil {
		log.Fatal(err)
	}
	b := layer.New(layer.Options{})
	if err := b.AddTar(ctx, bytes.NewReader(stream)); err != nil {
		log.Fatal(err)
	}
	normalized, err := b.Build(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("kept:", kept.TarSize() == int64(len(stream)))
	fmt.Println("same tar:", kept.DiffID() == normalized.DiffID())
	// Output:
	// kept: true
	// same tar: false
}

// A layer whose blob is stored elsewhere (a layout, a registry) reads it
// through an opener, and checks what it reads against the descriptor. It
// keeps the media type it is given; OCIMediaType names the same bytes the
// OCI way.
func ExampleFromBlob() {
	ctx := context.Background()
	b := layer.New(layer.Options{})
	if err := b.AddFile("/hello.txt", []byte("hello\n"), layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	built, err := b.Build(ctx)
	if err != nil {
		log.Fatal(err)
	}
	rc, err := built.Compressed(ctx)
	if err != nil {
		log.Fatal(err)
	}
	blob, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		log.Fatal(err)
	}

	desc := built.Descriptor()
	desc.MediaType = mediatype.DockerLayer // as a docker save holds it
	l, err := layer.FromBlob(desc, built.DiffID(), func(ctx context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	tr, err := l.Uncompressed(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tr.Close()
	h, err := tar.NewReader(tr).Next()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Name)
	fmt.Println(layer.OCIMediaType(l.MediaType()))
	// Output:
	// hello.txt
	// application/vnd.oci.image.layer.v1.tar+gzip
}

// A layer past Options.SpillThreshold lives in a temporary file until it
// is released (or garbage collected). Release frees it at once; a Share
// keeps the bytes for another holder.
func ExampleLayer_Release() {
	ctx := context.Background()
	b := layer.New(layer.Options{SpillThreshold: -1}) // spill from the first byte
	if err := b.AddFile("/data", bytes.Repeat([]byte("x"), 1<<20), layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	l, err := b.Build(ctx)
	if err != nil {
		log.Fatal(err)
	}
	kept := l.Share()
	l.Release()
	_, err = l.Compressed(ctx)
	fmt.Println(errors.Is(err, layer.ErrReleased))
	rc, err := kept.Compressed(ctx)
	if err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	fmt.Println(n == kept.Size(), err)
	kept.Release()
	// Output:
	// true
	// true <nil>
}

// A program whose goroutines each build large layers can bound the memory
// they take together: with one Limiter shared, at most two builds run at
// once, whatever the number of goroutines.
func ExampleLimiter() {
	lim := layer.NewLimiter(2)

	var wg sync.WaitGroup
	digests := make([]string, 8)
	for i := range digests {
		wg.Go(func() {
			b := layer.New(layer.Options{Limiter: lim})
			b.AddFile("/data", bytes.Repeat([]byte("x"), 1<<20), layer.Attr{})
			l, err := b.Build(context.Background())
			if err != nil {
				log.Fatal(err)
			}
			defer l.Release()
			digests[i] = l.Digest().String()
		})
	}
	wg.Wait()
	fmt.Println(len(digests), digests[0] == digests[7])
	// Output: 8 true
}

// FileContents hashes each file in the read that puts it into the layer,
// for a report or an SBOM: the digests are those of the bytes the layer
// holds, even if a file changes on disk meanwhile.
func ExampleOptions_fileContents() {
	sums := map[string]hash.Hash{}
	var order []string
	b := layer.New(layer.Options{FileContents: func(path string) io.Writer {
		sums[path] = sha256.New()
		order = append(order, path)
		return sums[path]
	}})
	err := b.AddFS("/srv/www", fstest.MapFS{
		"index.html": {Data: []byte("<h1>hello</h1>\n")},
		"app.js":     {Data: []byte("main()\n")},
	}, layer.Attr{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := b.Build(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, p := range order {
		fmt.Printf("%s %x\n", p, sums[p].Sum(nil)[:8])
	}
	// Output:
	// /srv/www/app.js a8b6c5ba40d39d59
	// /srv/www/index.html 186ea20da38447cf
}
