package layout_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/fixture"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// An index written and read back is the same index: a release script can
// re-tag or annotate it (issue 11, bug 5).
func TestIndexReadBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix := fixture.Index(t).WithAnnotation(ocispec.AnnotationVersion, "1.2.3")
	writeLayout(t, dir, ix, "v1")
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Index(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != ix.Digest() || got.Annotations()[ocispec.AnnotationVersion] != "1.2.3" {
		t.Fatalf("read back %s %v, wrote %s", got.Digest(), got.Annotations(), ix.Digest())
	}
	// Re-tag: the same digest under a second tag.
	writeLayout(t, dir, got, "latest")
	l, _ = layout.Read(dir)
	for _, tag := range []string{"v1", "latest"} {
		again, err := l.Index(ctx, tag)
		if err != nil || again.Digest() != ix.Digest() {
			t.Errorf("%s: %v", tag, err)
		}
	}
	if _, err := l.Index(ctx, "nope"); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("missing tag: %v", err)
	}
	writeLayout(t, dir, fixture.Image(t, amd64), "single")
	l, _ = layout.Read(dir)
	if _, err := l.Index(ctx, "single"); !errors.Is(err, image.ErrNotFound) || !strings.Contains(err.Error(), "not an index") {
		t.Errorf("an image asked for as an index: %v", err)
	}
}

// Verify counts every distinct blob, the index's included (issue 11,
// bug 6): as many as the files in blobs/sha256.
func TestVerifyCountsEveryBlob(t *testing.T) {
	dir := t.TempDir()
	writeLayout(t, dir, fixture.Index(t), "v1")
	writeLayout(t, dir, fixture.Image(t, amd64), "single")
	ents, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := layout.Read(dir)
	n, err := l.Verify(context.Background())
	if err != nil || n != len(ents) {
		t.Errorf("Verify: %d, %v; blobs/sha256 holds %d files", n, err, len(ents))
	}
}

// A blob of the wrong size is refused before it is hashed (issue 17,
// item 13): a sparse file claiming 1 TiB is rejected at once.
func TestWrongSizeBlobNotHashed(t *testing.T) {
	dir := t.TempDir()
	img := fixture.Image(t, amd64)
	writeLayout(t, dir, img, "a")
	p := blobFile(dir, img)
	if err := os.Truncate(p, 1<<40); err != nil {
		t.Skip("no sparse files here:", err)
	}
	start := time.Now()
	err := layout.Write(context.Background(), dir, img, layout.Options{Tags: []string{"b"}})
	if !errors.Is(err, image.ErrBlobMismatch) || !strings.Contains(err.Error(), p) {
		t.Errorf("err %v, want ErrBlobMismatch naming %s", err, p)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
}
