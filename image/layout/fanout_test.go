package layout_test

import (
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var fanOutDir = flag.String("fanout.dir", "", "write TestFanOutReadsBlobOnce's layout into this `directory` and keep it, to time the CLI on it (BENCHMARKS.md)")

// bigIndexSize is the size of the index that fanOut lists many times: the
// most a manifest or index may hold.
const bigIndexSize = 8 << 20

// fanOut writes into dir the fan-out the hostile-input checks found
// (issue 22, item 14): an 8 MiB index (one image, padded with a field no
// reader knows) that a second index, tagged "fan", lists 4,000 times, and
// that index.json lists direct times more, untagged. It returns the big
// index's blob path, relative to dir.
func fanOut(t testing.TB, dir string, direct int) string {
	t.Helper()
	img := imagetest.Fixture(t, amd64)
	if err := layout.Write(t.Context(), dir, img, layout.Options{}); err != nil {
		t.Fatal(err)
	}
	big := putBlob(t, dir, bigIndex(t, img.Descriptor()))
	top := putBlob(t, dir, indexOf(big, 4000))
	top.Annotations = map[string]string{ocispec.AnnotationRefName: "fan"}
	var idx ocispec.Index
	json.Unmarshal(indexOf(big, direct), &idx)
	idx.Manifests = append([]ocispec.Descriptor{top}, idx.Manifests...)
	raw, _ := json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return "blobs/sha256/" + big.Digest.Encoded()
}

// bigIndex returns an index of bigIndexSize bytes that lists d.
func bigIndex(t testing.TB, d ocispec.Descriptor) []byte {
	raw := indexOf(d, 1)
	pad := bigIndexSize - len(raw) - len(`,"padding":""`)
	raw = append(raw[:len(raw)-1], `,"padding":"`+strings.Repeat("x", pad)+`"}`...)
	if len(raw) != bigIndexSize {
		t.Fatalf("padded index has %d bytes", len(raw))
	}
	return raw
}

// indexOf returns an index that lists d n times.
func indexOf(d ocispec.Descriptor, n int) []byte {
	ix := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	ix.SchemaVersion = 2
	for range n {
		ix.Manifests = append(ix.Manifests, d)
	}
	raw, _ := json.Marshal(ix)
	return raw
}

// putBlob writes the index data into dir's blobs.
func putBlob(t testing.TB, dir string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded()), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// countFS counts the opens of each file.
type countFS struct {
	fs.FS
	mu    sync.Mutex
	opens map[string]int
}

func (c *countFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

func (c *countFS) take(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.opens[name]
	c.opens = map[string]int{}
	return n
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// An index that lists one 8 MiB index 4,000 times, and a layout that
// lists it many times, cost what one reference costs: the blob is read
// once per Verify and once per opened layout, and neither it nor its
// digest is copied or hashed again per reference (issue 22, item 14).
func TestFanOutReadsBlobOnce(t *testing.T) {
	dir := *fanOutDir
	if dir == "" {
		dir = t.TempDir()
	}
	big := fanOut(t, dir, 100)
	fsys := &countFS{FS: os.DirFS(dir), opens: map[string]int{}}
	l, err := layout.ReadFS(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// Each reference that copied or hashed the blob anew allocated
	// 8 MiB: 4,100 of them, 32 GiB. Once costs a few copies.
	const most = 8 * bigIndexSize
	var n int
	a := allocated(func() { n, err = l.Verify(ctx) })
	t.Logf("Verify allocated %d MiB", a>>20)
	if a > most {
		t.Errorf("Verify allocated %d MiB, want at most %d MiB", a>>20, most>>20)
	}
	want := imagetest.Fixture(t, amd64)
	if k := len(want.Blobs()) + 2; err != nil || n != k {
		t.Errorf("Verify: %d blobs, %v; want %d: the image's and the two indexes", n, err, k)
	}
	if k := fsys.take(big); k != 1 {
		t.Errorf("Verify opened %s %d times, want once", big, k)
	}
	a = allocated(func() {
		imgs, err := l.Images(ctx, "")
		if err != nil || len(imgs) != 1 || imgs[0].Digest() != want.Digest() {
			t.Fatalf("Images: %d images, %v; want %s once, however many times the indexes list it", len(imgs), err, want.Digest())
		}
		for range 3 {
			if _, err := l.Artifact(ctx, "fan"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := l.Image(ctx, "fan", arm64); !errors.Is(err, image.ErrNotFound) {
			t.Errorf("Image for arm64: %v, want ErrNotFound", err)
		}
	})
	t.Logf("Images, Artifact and Image allocated %d MiB", a>>20)
	if a > most {
		t.Errorf("Images, Artifact and Image allocated %d MiB, want at most %d MiB", a>>20, most>>20)
	}
	if k := fsys.take(big); k != 1 {
		t.Errorf("the opened layout read %s %d times, want once", big, k)
	}
}

// The repeated blob, its bytes changed but not its size, fails Verify
// with layer.ErrDigestMismatch.
func TestFanOutCorruptBlob(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, filepath.FromSlash(fanOut(t, dir, 3)))
	data := mustRead(t, p)
	data[len(data)-2] = 'y' // inside the padding: the JSON still parses
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Verify(t.Context()); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("Verify: %v, want ErrBlobMismatch", err)
	}
	if _, err := l.Artifact(t.Context(), "fan"); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("Artifact: %v, want ErrBlobMismatch", err)
	}
}
