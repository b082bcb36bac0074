package layout_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	linuxAMD64 = image.Platform{OS: "linux", Architecture: "amd64"}
	linuxARM64 = image.Platform{OS: "linux", Architecture: "arm64"}
)

func ExampleWrite() {
	dir, err := os.MkdirTemp("", "layout")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	img := image.New(linuxAMD64).WithEntrypoint("/app")
	if err := layout.Write(ctx, dir, img, layout.Options{Tags: []string{"v1"}}); err != nil {
		log.Fatal(err)
	}
	// Writing again keeps v1.
	if err := layout.Write(ctx, dir, img.WithEnv("DEBUG", "1"), layout.Options{Tags: []string{"debug"}}); err != nil {
		log.Fatal(err)
	}
	l, err := layout.Read(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Tags())
	// Output: [v1 debug]
}

func ExampleLayout_Image() {
	dir, err := os.MkdirTemp("", "layout")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	ix, err := image.NewIndex(image.New(linuxAMD64), image.New(linuxARM64))
	if err != nil {
		log.Fatal(err)
	}
	if err := layout.Write(ctx, dir, ix, layout.Options{Tags: []string{"v1"}}); err != nil {
		log.Fatal(err)
	}

	l, err := layout.Read(dir)
	if err != nil {
		log.Fatal(err)
	}
	// The arm64 image of the index tagged v1, exactly as stored: build
	// on it with image.FromBase.
	img, err := l.Image(ctx, "v1", linuxARM64)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Platform(), img.Digest() == ix.Image(linuxARM64).Digest())
	_, err = l.Image(ctx, "v1", image.Platform{OS: "linux", Architecture: "s390x"})
	fmt.Println(errors.Is(err, image.ErrNotFound), strings.Contains(err.Error(), `it has linux/amd64, linux/arm64`))
	// Output:
	// linux/arm64 true
	// true true
}

// A release script re-tags and annotates an index it built earlier: the
// index read back is the one written, annotations and digest included.
func ExampleLayout_Index() {
	dir, err := os.MkdirTemp("", "layout")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	ix, err := image.NewIndex(image.New(linuxAMD64), image.New(linuxARM64))
	if err != nil {
		log.Fatal(err)
	}
	ix = ix.WithAnnotation(ocispec.AnnotationVersion, "1.2.3")
	if err := layout.Write(ctx, dir, ix, layout.Options{Tags: []string{"v1.2.3"}}); err != nil {
		log.Fatal(err)
	}

	l, err := layout.Read(dir)
	if err != nil {
		log.Fatal(err)
	}
	back, err := l.Index(ctx, "v1.2.3")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Digest() == ix.Digest(), back.Annotations()[ocispec.AnnotationVersion])
	// Tag the same index "latest" too: no blob is written again.
	if err := layout.Write(ctx, dir, back, layout.Options{Tags: []string{"latest"}}); err != nil {
		log.Fatal(err)
	}
	// Or annotate it, which makes a new index.
	released := back.WithAnnotation("org.opencontainers.image.ref.name", "stable")
	fmt.Println(released.Digest() != ix.Digest())
	// Output:
	// true 1.2.3
	// true
}

func ExampleLayout_Verify() {
	dir, err := os.MkdirTemp("", "layout")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	if err := layout.Write(ctx, dir, image.New(linuxAMD64), layout.Options{Tags: []string{"v1"}}); err != nil {
		log.Fatal(err)
	}
	l, err := layout.Read(dir)
	if err != nil {
		log.Fatal(err)
	}
	n, err := l.Verify(ctx)
	fmt.Println(n, err) // the config and the manifest
	// Output: 2 <nil>
}

// Build a large layer with its blob spilling next to the layout, so that
// Write links the spill file into place rather than writing every byte a
// second time.
func ExampleSpillDir() {
	root, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	dir := filepath.Join(root, "layout")
	ctx := context.Background()

	opts := layer.Options{SpillDir: layout.SpillDir(dir), SpillWriteback: true, SpillThreshold: -1}
	b := layer.New(opts)
	if err := b.AddFile("/app/data", bytes.Repeat([]byte("minimage "), 1<<20), layer.Attr{}); err != nil {
		log.Fatal(err)
	}
	l, err := b.Build(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Release()
	if err := layout.Write(ctx, dir, image.New(linuxAMD64).Append(l), layout.Options{Tags: []string{"v1"}}); err != nil {
		log.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "blobs", "sha256", l.Digest().Encoded()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Size() == l.Size())
	// Output: true
}
