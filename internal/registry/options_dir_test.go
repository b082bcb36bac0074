package registry

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opencontainers/go-digest"
)

// Options.Dir keeps what a registry holds for the next one of that Dir.
func TestOptionsDir(t *testing.T) {
	dir := t.TempDir()
	data := []byte("kept across runs")
	d := digest.FromBytes(data)
	r, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.PutBlob("team/app", d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r, err = New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/team/app/blobs/"+d.String(), nil))
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), data) {
		t.Errorf("the blob after a restart: %d %q, want 200 %q", rec.Code, rec.Body.Bytes(), data)
	}
	mem, err := NewMemory("", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if r, err := New(Options{Storage: mem, Dir: dir}); err == nil {
		r.Close()
		t.Error("Storage and Dir both set: want an error")
	}
}
