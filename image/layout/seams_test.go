package layout_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// A FIFO where index.json or a blob should be is an error, at once, not
// a read that never returns (issue 17, item 3).
func TestSpecialFiles(t *testing.T) {
	ctx := context.Background()
	img := fixture.Image(t, amd64)
	for _, name := range []string{"index.json", "oci-layout", "blob"} {
		dir := t.TempDir()
		writeLayout(t, dir, img, "a")
		p := filepath.Join(dir, name)
		if name == "blob" {
			p = blobFile(dir, img)
		}
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		done := make(chan error, 1)
		go func() {
			l, err := layout.Read(dir)
			if err == nil {
				_, err = l.Image(ctx, "a", amd64)
			}
			if err == nil {
				err = layout.Write(ctx, dir, img, layout.Options{Tags: []string{"b"}})
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "regular file") {
				t.Errorf("%s as a FIFO: %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s as a FIFO: still reading after 5s", name)
		}
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

// Files written honour the umask, as directories do (issue 17, item 8).
func TestUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "l")
	writeLayout(t, dir, fixture.Image(t, amd64), "a")
	for _, p := range []string{filepath.Join(dir, "index.json"), filepath.Join(dir, "oci-layout")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o027 != 0 {
			t.Errorf("%s: mode %v ignores the umask 027", p, st.Mode().Perm())
		}
	}
}
