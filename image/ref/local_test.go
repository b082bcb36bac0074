package ref_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/tarball"
)

func TestOpenLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	img := imagetest.Fixture(t, image.Platform{OS: "linux", Architecture: "amd64"})
	lay, tar := filepath.Join(dir, "lay"), filepath.Join(dir, "app.tar")
	if err := layout.Write(ctx, lay, img, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(ctx, tar, img, tarball.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	want, err := image.Verify(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{lay + ":v1", tar} {
		src, err := ref.OpenLocal(name)
		if err != nil {
			t.Fatalf("OpenLocal(%s): %v", name, err)
		}
		if n, err := src.Verify(ctx); err != nil || n != want {
			t.Errorf("%s: Verify = %d, %v; want %d blobs", name, n, err, want)
		}
		if a, err := src.Artifact(ctx, "v1"); err != nil || a.Digest() != img.Digest() {
			t.Errorf("%s: v1 = %v, %v; want %s", name, a, err, img.Digest())
		}
	}
	if _, err := ref.OpenLocal(filepath.Join(dir, "none")); !errors.Is(err, ref.ErrNotExist) {
		t.Errorf("missing: got %v, want ErrNotExist", err)
	}
	if src, err := ref.OpenLocal("localhost:5000/app:v1"); err == nil {
		t.Errorf("a registry reference: got %v, want an error", src)
	}
}

// Check every blob of a layout or tarball that a user names, as
// "minimage verify PATH" does.
func ExampleOpenLocal() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "local")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "app.tar")
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"})
	if err := tarball.WriteFile(ctx, name, img, tarball.Options{}); err != nil {
		log.Fatal(err)
	}
	src, err := ref.OpenLocal(name)
	if err != nil {
		log.Fatal(err)
	}
	n, err := src.Verify(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "blobs verified")
	// Output: 2 blobs verified
}
