package layout_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/layer"
)

// bigLayer builds a layer of n random bytes that spills into spillDir.
func bigLayer(t *testing.T, n int, spillDir string) *layer.Layer {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	b := layer.New(layer.Options{SpillDir: spillDir, SpillThreshold: 1 << 20})
	if err := b.AddFile("/big", data, layer.Attr{}); err != nil {
		t.Fatal(err)
	}
	l, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// writeBytes returns this process's bytes written to storage so far
// (/proc/self/io's write_bytes), or -1 where it cannot tell.
func writeBytes(t *testing.T) int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return -1
}

// TestWriteLinksSpilledLayers writes a layer spilled next to the layout:
// the blob is the spill file itself, linked into place, and the write adds
// next to nothing to the bytes written, where a copy writes the blob
// again.
func TestWriteLinksSpilledLayers(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "layout")
	if got := layout.SpillDir(dir); got != root {
		t.Fatalf("SpillDir of a new layout = %q, want its parent %q", got, root)
	}
	const size = 8 << 20
	ly := bigLayer(t, size, layout.SpillDir(dir))
	img := imagetest.Fixture(t, amd64).Append(ly)

	before := writeBytes(t)
	writeLayout(t, dir, img, "linked")
	linked := writeBytes(t) - before
	readBack(t, dir, "linked", amd64, img)
	if !layerHoldsFile(t, blobFile(dir, ly)) {
		t.Error("the blob is not the layer's spill file")
	}
	if got, want := layout.SpillDir(dir), filepath.Join(dir, "blobs", "sha256"); got != want {
		t.Errorf("SpillDir of a layout = %q, want %q", got, want)
	}

	// The same layer into a layout on which its blob is copied: a layer
	// held in memory.
	mem := layer.New(layer.Options{SpillThreshold: 64 << 20})
	data, _ := os.ReadFile(blobFile(dir, ly)) // random: the blob is about the input
	mem.AddFile("/big", data, layer.Attr{})
	ml, err := mem.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	before = writeBytes(t)
	writeLayout(t, filepath.Join(root, "copied"), imagetest.Fixture(t, amd64).Append(ml), "copied")
	copied := writeBytes(t) - before
	if before < 0 || copied < size/2 {
		t.Skipf("cannot count bytes written here (%d for an %d-byte blob copied)", copied, size)
	}
	t.Logf("bytes written: %d linked, %d copied, blob %d", linked, copied, ly.Size())
	if linked > size/8 {
		t.Errorf("writing a linked blob of %d bytes wrote %d bytes; want next to none", ly.Size(), linked)
	}
}

// layerHoldsFile reports whether this process holds the file at p open:
// the layer's spill file, which Write linked rather than copied.
func layerHoldsFile(t *testing.T, p string) bool {
	t.Helper()
	want, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if st, err := os.Stat(filepath.Join("/proc/self/fd", fd.Name())); err == nil && os.SameFile(st, want) {
			return true
		}
	}
	return false
}

// TestSpillDir checks the directory SpillDir picks for each state of the
// layout directory: a new one, an existing empty one and a layout.
func TestSpillDir(t *testing.T) {
	root := t.TempDir()
	for _, c := range []struct {
		name, dir, want string
	}{
		{"new", filepath.Join(root, "a", "b", "c"), root},
		{"empty", root, root},
	} {
		if got := layout.SpillDir(c.dir); got != c.want {
			t.Errorf("%s: SpillDir(%q) = %q, want %q", c.name, c.dir, got, c.want)
		}
	}
}
