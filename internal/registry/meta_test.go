package registry

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
	"github.com/opencontainers/go-digest"
)

// TestMetadataWritesConstant pushes thousands of small blobs and tags to
// a NewDir store: the bytes written per push do not grow with the
// number of blobs and tags the store holds.
func TestMetadataWritesConstant(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes 3,000 blobs")
	}
	s, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := New(Options{Storage: s})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	img := newImage("tagged", nil, "", nil)
	for _, b := range [][]byte{img.config, img.layer} {
		if err := reg.PutBlob("repo", digestOf(b), strings.NewReader(string(b))); err != nil {
			t.Fatal(err)
		}
	}
	const n, window = 3000, 1000
	var early, late int64
	for i := range n {
		before := testenv.ProcIO(t, "wchar")
		blob := fmt.Sprintf("blob %07d", i) // 12 bytes
		if err := reg.PutBlob("repo", digestOf([]byte(blob)), strings.NewReader(blob)); err != nil {
			t.Fatal(err)
		}
		if err := reg.PutManifest("repo", img.digest, img.descriptor().MediaType, img.manifest, fmt.Sprintf("t%d", i)); err != nil {
			t.Fatal(err)
		}
		wrote := testenv.ProcIO(t, "wchar") - before
		switch {
		case i < window:
			early += wrote
		case i >= n-window:
			late += wrote
		}
	}
	t.Logf("a blob and a tag cost %d bytes written at first, %d after %d of each", early/window, late/window, n-window)
	if late > 2*early+window*1024 {
		t.Errorf("the last %d pushes wrote %d bytes each, the first %d: writes grow with the store", window, late/window, early/window)
	}
}

// TestDirReadsVersion1 opens a store as minimage wrote it before the
// journal: a registry.json of version 1 alone.
func TestDirReadsVersion1(t *testing.T) {
	dir := t.TempDir()
	img := newImage("v1", nil, "", nil)
	old := fmt.Sprintf(`{"version":1,"repositories":{"repo":{"blobs":{%q:true,%q:true},"manifests":{%q:{"mediaType":%q,"size":%d}},"tags":{"v1":%q}}}}`,
		digestOf(img.config), digestOf(img.layer), img.digest, img.descriptor().MediaType, len(img.manifest), img.digest)
	for _, b := range [][]byte{img.config, img.layer, img.manifest} {
		p := blobPath(dir, digestOf(b))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "registry.json"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	open := func() *client {
		s, err := NewDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return newClient(t, Options{Storage: s})
	}
	c := open()
	if r := c.do("GET", "/v2/repo/manifests/v1", nil); r.StatusCode != http.StatusOK || string(r.body) != string(img.manifest) {
		t.Fatalf("GET of a version 1 store's tag: %d %s", r.StatusCode, r.body)
	}
	added := c.pushBlob("repo", []byte("after the upgrade"))
	c = open()
	c.do("HEAD", "/v2/repo/manifests/v1", nil).want(t, http.StatusOK, "")
	c.do("HEAD", "/v2/repo/blobs/"+added.String(), nil).want(t, http.StatusOK, "")
}

// TestDirJournalCutShort: a journal record a crash cut short is dropped
// at the next start, and what came before it, and after, is kept.
func TestDirJournalCutShort(t *testing.T) {
	dir := t.TempDir()
	open := func() *client {
		s, err := NewDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return newClient(t, Options{Storage: s})
	}
	c := open()
	before := c.pushBlob("repo", []byte("before the crash"))
	f, err := os.OpenFile(filepath.Join(dir, "registry.log"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"ops":[{"op":"add-blob","repo":"repo","dig`)
	f.Close()
	c = open()
	after := c.pushBlob("repo", []byte("after the crash"))
	c = open()
	for _, d := range []digest.Digest{before, after} {
		c.do("HEAD", "/v2/repo/blobs/"+d.String(), nil).want(t, http.StatusOK, "")
	}
	os.WriteFile(filepath.Join(dir, "registry.log"), []byte("{\n"), 0o644)
	s, _ := NewDir(dir)
	if _, err := New(Options{Storage: s}); err == nil || !strings.Contains(err.Error(), "registry.log") {
		t.Errorf("New on a corrupt journal: %v, want an error naming registry.log", err)
	}
}
