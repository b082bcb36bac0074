package layout_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func writeLayout(t *testing.T, dir string, v image.Artifact, tags ...string) {
	t.Helper()
	if err := layout.Write(context.Background(), dir, v, layout.Options{Tags: tags}); err != nil {
		t.Fatal(err)
	}
}

// readBack opens dir and checks that tag holds want, reading every layer.
func readBack(t *testing.T, dir, tag string, p image.Platform, want *image.Image) {
	t.Helper()
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Image(context.Background(), tag, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != want.Digest() || got.ConfigDigest() != want.ConfigDigest() {
		t.Fatalf("%s: digest %s, want %s", tag, got.Digest(), want.Digest())
	}
	for _, ly := range got.Layers() {
		rc, err := ly.Uncompressed(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatalf("%s: layer %s: %v", tag, ly.Digest(), err)
		}
		rc.Close()
	}
}

func TestLayoutTags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	a, b := imagetest.Fixture(t, amd64), imagetest.Fixture(t, amd64).WithEnv("B", "1")
	c := imagetest.Fixture(t, amd64).WithEnv("C", "1")
	writeLayout(t, dir, a, "a")
	writeLayout(t, dir, b, "b", "example.com/app:v1")
	readBack(t, dir, "a", amd64, a)
	readBack(t, dir, "b", amd64, b)
	writeLayout(t, dir, c, "a")
	readBack(t, dir, "a", amd64, c)
	readBack(t, dir, "b", amd64, b)
	readBack(t, dir, "example.com/app:v1", amd64, b)
	writeLayout(t, dir, a)
	writeLayout(t, dir, a)
	writeLayout(t, dir, b, "b", "b")
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Tags(); !slices.Equal(got, []string{"example.com/app:v1", "a", "b"}) {
		t.Errorf("tags %q", got)
	}
	idx := readIndex(t, dir)
	if len(idx.Manifests) != 4 {
		t.Errorf("%d entries, want 4 (untagged a once)", len(idx.Manifests))
	}
	if d := idx.Manifests[0]; d.Platform == nil || d.Platform.Architecture != "amd64" {
		t.Errorf("descriptor %+v", d)
	}
	if _, err := l.Image(context.Background(), "nope", amd64); !errors.Is(err, image.ErrNotFound) || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("missing tag: %v", err)
	}
	if _, err := l.Image(context.Background(), "a", arm64); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("wrong platform: %v", err)
	}
	if err := layout.Write(context.Background(), dir, a, layout.Options{Tags: []string{"bad tag"}}); !errors.Is(err, image.ErrInvalidTag) {
		t.Errorf("bad tag: %v", err)
	}
}

func TestLayoutIndex(t *testing.T) {
	dir := t.TempDir()
	ix := imagetest.FixtureIndex(t)
	writeLayout(t, dir, ix, "multi")
	readBack(t, dir, "multi", arm64, ix.Image(arm64))
	readBack(t, dir, "multi", amd64, ix.Image(amd64))
	// The shared base layer is stored once: 3 layers, 2 configs, 2 manifests, 1 index.
	ents, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if len(ents) != 8 {
		t.Errorf("%d blobs, want 8", len(ents))
	}
	if d := readIndex(t, dir).Manifests[0]; d.MediaType != ocispec.MediaTypeImageIndex || d.Digest != ix.Digest() {
		t.Errorf("descriptor %+v", d)
	}
}

func TestLayoutBlobNotRewritten(t *testing.T) {
	dir := t.TempDir()
	a := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, a, "a")
	p := blobFile(dir, a.Layers()[0])
	old := time.Unix(1000, 0)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	writeLayout(t, dir, a.WithEnv("X", "1"), "b")
	st, err := os.Stat(p)
	if err != nil || !st.ModTime().Equal(old) {
		t.Errorf("blob rewritten: %v %v", st.ModTime(), err)
	}
}

func TestLayoutCorruptBlob(t *testing.T) {
	dir := t.TempDir()
	a := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, a, "a")
	p := blobFile(dir, a.Layers()[1])
	data, _ := os.ReadFile(p)
	data[600] ^= 0xff
	os.WriteFile(p, data, 0o644)
	before := mustRead(t, filepath.Join(dir, "index.json"))
	err := layout.Write(context.Background(), dir, a, layout.Options{Tags: []string{"b"}})
	if !errors.Is(err, layer.ErrDigestMismatch) || !strings.Contains(err.Error(), p) {
		t.Fatalf("err %v, want layer.ErrDigestMismatch naming %s", err, p)
	}
	if !bytes.Equal(before, mustRead(t, filepath.Join(dir, "index.json"))) {
		t.Error("index.json changed")
	}
	if got := mustRead(t, p); !bytes.Equal(got, data) {
		t.Error("corrupt blob was overwritten")
	}
	// Reading the layer reports the blob.
	l, _ := layout.Read(dir)
	img, err := l.Image(context.Background(), "a", amd64)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := img.Layers()[1].Compressed(context.Background())
	_, err = io.Copy(io.Discard, rc)
	if !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("read corrupt layer: %v", err)
	}
	// A corrupt manifest is reported when read: by a Layout opened
	// after, and by Verify (the Layout read before keeps what it read).
	os.WriteFile(blobFile(dir, a), []byte("{}"), 0o644)
	if _, err := l.Verify(context.Background()); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("verify corrupt manifest: %v", err)
	}
	l, _ = layout.Read(dir)
	if _, err := l.Image(context.Background(), "a", amd64); !errors.Is(err, layer.ErrDigestMismatch) || !strings.Contains(err.Error(), a.Digest().Encoded()) {
		t.Errorf("corrupt manifest: %v", err)
	}
}

func TestLayoutRefusesForeignOrCorrupt(t *testing.T) {
	ctx := context.Background()
	a := imagetest.Fixture(t, amd64)
	for _, tc := range []struct {
		name    string
		files   map[string]string
		wantErr error
		want    string
	}{
		{"corrupt index.json", map[string]string{"oci-layout": `{"imageLayoutVersion":"1.0.0"}`, "index.json": `{"schemaVersion":2,"manifests":[{`}, image.ErrCorrupt, "index.json"},
		{"bad digest in index.json", map[string]string{"oci-layout": `{"imageLayoutVersion":"1.0.0"}`, "index.json": `{"schemaVersion":2,"manifests":[{"digest":"sha256:../../etc","size":1}]}`}, image.ErrCorrupt, "index.json"},
		{"not a layout", map[string]string{"photo.jpg": "jpeg"}, layout.ErrNotLayout, "photo.jpg"},
		{"layout version", map[string]string{"oci-layout": `{"imageLayoutVersion":"9"}`}, layout.ErrNotLayout, "oci-layout"},
	} {
		dir := t.TempDir()
		for n, c := range tc.files {
			os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
		}
		err := layout.Write(ctx, dir, a, layout.Options{Tags: []string{"a"}})
		if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %v naming %s", tc.name, err, tc.wantErr, tc.want)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != len(tc.files) {
			t.Errorf("%s: directory changed: %v", tc.name, ents)
		}
		for n, c := range tc.files {
			if got := mustRead(t, filepath.Join(dir, n)); string(got) != c {
				t.Errorf("%s: %s changed", tc.name, n)
			}
		}
		if _, err := layout.Read(dir); err == nil {
			t.Errorf("%s: ReadLayout succeeded", tc.name)
		}
	}
}

// failingLayer is a layer whose blob reader fails after half its bytes.
func failingLayer(t *testing.T) *layer.Layer {
	return imagetest.Failing(t, imagetest.FilesLayer(t, "big", strings.Repeat("x", 64<<10)))
}

// checkIntact checks that dir still holds a, tagged "a", exactly as before.
func checkIntact(t *testing.T, dir string, before []byte, a *image.Image) {
	t.Helper()
	if got := mustRead(t, filepath.Join(dir, "index.json")); !bytes.Equal(got, before) {
		t.Errorf("index.json changed:\n%s\n%s", before, got)
	}
	readBack(t, dir, "a", amd64, a)
	ents, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestLayoutFailedWriteKeepsLayout(t *testing.T) {
	dir := t.TempDir()
	a := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, a, "a")
	before := mustRead(t, filepath.Join(dir, "index.json"))
	bad := a.Append(failingLayer(t))
	err := layout.Write(context.Background(), dir, bad, layout.Options{Tags: []string{"a"}})
	if err == nil || !errors.Is(err, imagetest.ErrFailing) || !strings.HasPrefix(err.Error(), "layout: ") {
		t.Fatalf("err %v", err)
	}
	checkIntact(t, dir, before, a)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := layout.Write(ctx, dir, a.WithEnv("Z", "1"), layout.Options{Tags: []string{"a"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	checkIntact(t, dir, before, a)
}

func TestLayoutFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	a := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, a, "a")
	before := mustRead(t, filepath.Join(dir, "index.json"))
	big := make([]byte, 512<<10)
	rand.Read(big)
	err := layout.Write(context.Background(), dir, a.Append(imagetest.FilesLayer(t, "big", string(big))), layout.Options{Tags: []string{"a"}})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err %v, want ENOSPC", err)
	}
	checkIntact(t, dir, before, a)
}

// TestLayoutConcurrent writes different tags to one layout from
// goroutines and from other processes at once.
func TestLayoutConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	const n = 6
	var wg sync.WaitGroup
	errs := make(chan error, n+2)
	for i := range n {
		wg.Go(func() {
			errs <- layout.Write(context.Background(), dir, imagetest.Fixture(t, amd64).WithEnv("I", fmt.Sprint(i)), layout.Options{Tags: []string{fmt.Sprintf("g%d", i)}})
		})
	}
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
			cmd.Env = append(os.Environ(), "MINIMAGE_TEST_WRITER="+dir, fmt.Sprintf("MINIMAGE_TEST_TAG=p%d", i))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("writer process: %v\n%s", err, out)
				return
			}
			errs <- nil
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	tags := l.Tags()
	slices.Sort(tags)
	if want := []string{"g0", "g1", "g2", "g3", "g4", "g5", "p0", "p1"}; !slices.Equal(tags, want) {
		t.Errorf("tags %q, want %q", tags, want)
	}
	for _, tag := range tags {
		if _, err := l.Image(context.Background(), tag, amd64); err != nil {
			t.Error(err)
		}
	}
}

// TestHelperWriter is the body of the writer processes of
// TestLayoutConcurrent.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv("MINIMAGE_TEST_WRITER")
	if dir == "" {
		t.Skip("runs only as a helper process")
	}
	tag := os.Getenv("MINIMAGE_TEST_TAG")
	writeLayout(t, dir, imagetest.Fixture(t, amd64).WithEnv("TAG", tag), tag)
}

func readIndex(t *testing.T, dir string) ocispec.Index {
	t.Helper()
	var idx ocispec.Index
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "index.json")), &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func blobFile(dir string, v interface{ Digest() digestT }) string {
	return filepath.Join(dir, "blobs", "sha256", v.Digest().Encoded())
}

var (
	amd64 = image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = image.Platform{OS: "linux", Architecture: "arm64"}
)

type digestT = digest.Digest
