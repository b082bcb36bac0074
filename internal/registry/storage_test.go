package registry

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestDirRestart(t *testing.T) {
	dir := t.TempDir()
	open := func() *client {
		s, err := NewDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return newClient(t, Options{Storage: s})
	}
	c := open()
	img := newImage("dir", nil, "", nil)
	c.push("repo", img, "v1")
	gone := newImage("gone", nil, "", nil)
	c.push("repo", gone, "v2")
	c.do("DELETE", "/v2/repo/manifests/"+gone.digest.String(), nil).want(t, http.StatusAccepted, "")
	c.do("DELETE", "/v2/repo/blobs/"+digestOf(gone.layer).String(), nil).want(t, http.StatusAccepted, "")
	// An upload in progress does not survive a restart.
	loc := c.do("POST", "/v2/repo/blobs/uploads/", nil).Header.Get("Location")
	c.do("PATCH", loc, []byte("partial"), "Content-Range", "0-6").want(t, http.StatusAccepted, "")

	c = open()
	r := c.do("GET", "/v2/repo/manifests/v1", nil)
	r.want(t, http.StatusOK, "")
	if string(r.body) != string(img.manifest) || r.Header.Get("Content-Type") != ocispec.MediaTypeImageManifest {
		t.Errorf("after a restart: %s %q", r.Header.Get("Content-Type"), r.body)
	}
	if b := c.do("GET", "/v2/repo/blobs/"+digestOf(img.layer).String(), nil).body; string(b) != string(img.layer) {
		t.Errorf("after a restart, the layer reads %q", b)
	}
	c.do("HEAD", "/v2/repo/manifests/v2", nil).want(t, http.StatusNotFound, "")
	c.do("HEAD", "/v2/repo/blobs/"+digestOf(gone.layer).String(), nil).want(t, http.StatusNotFound, "")
	if _, err := os.Stat(blobPath(dir, digestOf(gone.layer))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the deleted layer's file: %v, want it gone", err)
	}
	c.do("GET", loc, nil).want(t, http.StatusNotFound, CodeBlobUploadUnknown)
	if ups, _ := os.ReadDir(filepath.Join(dir, "uploads")); len(ups) != 0 {
		t.Errorf("uploads left after a restart: %v", ups)
	}
}

func TestDirCorrupt(t *testing.T) {
	dir := t.TempDir()
	s, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "registry.json"), []byte("{"), 0o644)
	if _, err := New(Options{Storage: s}); err == nil || !strings.Contains(err.Error(), "registry.json") {
		t.Errorf("New on a corrupt registry.json: %v, want an error naming it", err)
	}
}

// files returns the regular files under dir.
func files(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestMemoryThreshold(t *testing.T) {
	dir := t.TempDir()
	s, err := NewMemory(dir, 1000)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{Storage: s})
	small := c.pushBlob("repo", pattern(5, 1000))
	if f := files(t, dir); len(f) != 0 {
		t.Errorf("a blob at the threshold went to a file: %v", f)
	}
	for _, p := range pushes { // each way of pushing spills
		big := pattern(6, 1001+len(p.name))
		d := digest.FromBytes(big)
		p.push(c, "repo", big, d).want(t, http.StatusCreated, "")
		if b := c.do("GET", "/v2/repo/blobs/"+d.String(), nil).body; !bytes.Equal(b, big) {
			t.Errorf("%s: the spilled blob reads back wrong", p.name)
		}
	}
	if n := len(files(t, dir)); n != len(pushes) {
		t.Errorf("%d files for %d blobs over the threshold", n, len(pushes))
	}
	// A failed upload leaves no file.
	wrong := pattern(7, 5000)
	c.do("POST", "/v2/repo/blobs/uploads/?digest="+small.String(), wrong).want(t, http.StatusBadRequest, CodeDigestInvalid)
	if n := len(files(t, dir)); n != len(pushes) {
		t.Errorf("a failed upload left a file: %d files", n)
	}
	c.reg.Close()
	if f := files(t, dir); len(f) != 0 {
		t.Errorf("Close left files: %v", f)
	}
}

// patternReader yields n bytes that depend on seed, repeating a block of
// 64 KiB plus a prime, without holding them.
type patternReader struct {
	seed  byte
	n, i  int64
	block []byte
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.block == nil {
		r.block = pattern(r.seed, 64<<10+13)
	}
	if r.i >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.i)]
	off := int(r.i % int64(len(r.block)))
	n := copy(p, r.block[off:])
	r.i += int64(n)
	return n, nil
}

// TestMemoryBounded pushes a 20 MiB blob and checks the live heap grows
// by much less: the blob goes to a file past the threshold, at once when
// the request gives its length, else when the buffer reaches the
// threshold. The same push with a threshold above its size shows the
// measure sees a blob held in memory.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes 40 MiB")
	}
	const size = 20 << 20
	h := sha256.New()
	io.Copy(h, &patternReader{seed: 9, n: size})
	d := digest.NewDigest(digest.SHA256, h)
	growth := func(threshold, contentLength int64) uint64 {
		s, err := NewMemory(t.TempDir(), threshold)
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, Options{Storage: s})
		base := testenv.PeakHeap(func() {})
		peak := testenv.PeakHeap(func() {
			req, _ := http.NewRequest("POST", c.url+"/v2/big/blobs/uploads/?digest="+d.String(), &patternReader{seed: 9, n: size})
			req.ContentLength = contentLength
			resp, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("push: %s", resp.Status)
			}
		})
		return peak - min(base, peak)
	}
	known, streamed, held := growth(0, size), growth(0, -1), growth(64<<20, size)
	t.Logf("live heap growth pushing %d MiB: %.1f MiB with its length given, %.1f MiB streamed, %.1f MiB held in memory",
		size>>20, float64(known)/(1<<20), float64(streamed)/(1<<20), float64(held)/(1<<20))
	if known > 2<<20 {
		t.Errorf("pushing %d MiB with Content-Length grew the heap by %.1f MiB; want under 2 MiB", size>>20, float64(known)/(1<<20))
	}
	if streamed > 3*DefaultThreshold {
		t.Errorf("pushing %d MiB streamed grew the heap by %.1f MiB; want under %d MiB", size>>20, float64(streamed)/(1<<20), 3*DefaultThreshold>>20)
	}
	if held < size {
		t.Errorf("held in memory, the heap grew by only %d MiB: the measure misses the blob", held>>20)
	}
}

// TestConcurrent pushes images that share a layer to several
// repositories at once, with pulls and deletes in between, and checks
// every repository ends whole.
func TestConcurrent(t *testing.T) {
	c := newClient(t, Options{})
	shared := pattern(8, 5000)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("repo%d", i)
			for j := range 5 {
				img := newImage(fmt.Sprintf("%d-%d", i, j), nil, "", nil)
				img.layer = shared
				ld := digest.FromBytes(shared)
				img.manifest = []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
					ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageConfig, digest.FromBytes(img.config), len(img.config),
					ocispec.MediaTypeImageLayerGzip, ld, len(shared)))
				img.digest = digest.FromBytes(img.manifest)
				c.push(name, img, fmt.Sprintf("v%d", j))
				if b := c.do("GET", "/v2/"+name+"/blobs/"+ld.String(), nil).body; !bytes.Equal(b, shared) {
					t.Errorf("%s: the shared layer reads %d bytes", name, len(b))
				}
				// Meanwhile the layer comes and goes in another
				// repository: its bytes must stay for the others.
				c.pushBlob(fmt.Sprintf("scratch%d", i), shared)
				c.do("DELETE", fmt.Sprintf("/v2/scratch%d/blobs/%s", i, ld), nil).want(t, http.StatusAccepted, "")
			}
		})
	}
	wg.Wait()
	for i := range 8 {
		name := fmt.Sprintf("repo%d", i)
		r := c.do("GET", "/v2/"+name+"/tags/list", nil)
		if !strings.Contains(string(r.body), `"v4"`) {
			t.Errorf("%s: tags %s", name, r.body)
		}
		c.do("GET", "/v2/"+name+"/blobs/"+digestOf(shared).String(), nil).want(t, http.StatusOK, "")
	}
}
