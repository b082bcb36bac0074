package ref_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
)

func TestMergeIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	amd := imagetest.Fixture(t, image.Platform{OS: "linux", Architecture: "amd64"})
	arm := imagetest.Fixture(t, image.Platform{OS: "linux", Architecture: "arm64"})
	lay, tar := filepath.Join(dir, "lay"), filepath.Join(dir, "arm.tar")
	if err := layout.Write(ctx, lay, amd, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(ctx, tar, arm, tarball.Options{}); err != nil {
		t.Fatal(err)
	}
	ix, err := ref.MergeIndex(ctx, []string{lay + ":v1", tar}, image.MergeOptions{}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	imgs := ix.Images()
	if len(imgs) != 2 || imgs[0].Digest() != amd.Digest() || imgs[1].Digest() != arm.Digest() {
		t.Fatalf("merged %d images, want %s then %s", len(imgs), amd.Digest(), arm.Digest())
	}
	// Two images of one platform: an error naming both sources, unless
	// Replace takes the later.
	arm2 := image.New(image.Platform{OS: "linux", Architecture: "arm64"})
	tar2 := filepath.Join(dir, "arm2.tar")
	if err := tarball.WriteFile(ctx, tar2, arm2, tarball.Options{}); err != nil {
		t.Fatal(err)
	}
	_, err = ref.MergeIndex(ctx, []string{tar, tar2}, image.MergeOptions{}, remote.Options{})
	if !errors.Is(err, image.ErrDuplicatePlatform) || !strings.Contains(err.Error(), tar) || !strings.Contains(err.Error(), tar2) {
		t.Errorf("arm64 twice: got %v, want ErrDuplicatePlatform naming %s and %s", err, tar, tar2)
	}
	ix, err = ref.MergeIndex(ctx, []string{tar, tar2}, image.MergeOptions{Replace: true}, remote.Options{})
	if err != nil || len(ix.Images()) != 1 || ix.Images()[0].Digest() != arm2.Digest() {
		t.Errorf("arm64 twice with Replace: got %v, want the later image %s alone", err, arm2.Digest())
	}
	if _, err := ref.MergeIndex(ctx, []string{filepath.Join(dir, "none")}, image.MergeOptions{}, remote.Options{}); !errors.Is(err, ref.ErrNotExist) {
		t.Errorf("missing source: got %v, want ErrNotExist", err)
	}
}

// Merge the single-platform images of two builds into one index.
func ExampleMergeIndex() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "merge")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, arch := range []string{"amd64", "arm64"} {
		img := image.New(image.Platform{OS: "linux", Architecture: arch})
		if err := tarball.WriteFile(ctx, filepath.Join(dir, arch+".tar"), img, tarball.Options{}); err != nil {
			log.Fatal(err)
		}
	}
	names := []string{filepath.Join(dir, "amd64.tar"), filepath.Join(dir, "arm64.tar")}
	ix, err := ref.MergeIndex(ctx, names, image.MergeOptions{}, remote.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range ix.Images() {
		fmt.Println(img.Platform())
	}
	// Output:
	// linux/amd64
	// linux/arm64
}
