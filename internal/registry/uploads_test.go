package registry

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// serve sends method target with body to reg from remote address from,
// without a network, and returns the recorded response.
func serve(reg *Registry, from, method, target string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = from
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	reg.ServeHTTP(rec, req)
	return rec
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestUploadMemoryBounded opens many uploads of just under the in-memory
// threshold: together they hold at most UploadMemory in memory, the rest
// in files, and each still completes with the bytes it was sent.
func TestUploadMemoryBounded(t *testing.T) {
	dir := t.TempDir()
	store, err := NewMemory(dir, DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := New(Options{Storage: store})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	const n = 40 // 160 MiB in memory if nothing bounded it
	chunk := bytes.Repeat([]byte("x"), DefaultThreshold-1)
	before := heapAlloc()
	locs := make([]string, n)
	for i := range locs {
		chunk[0] = byte(i)
		rec := serve(reg, "10.0.0.1:1", "POST", "/v2/repo/blobs/uploads/", nil)
		locs[i] = rec.Header().Get("Location")
		rec = serve(reg, "10.0.0.1:1", "PATCH", locs[i], bytes.NewReader(chunk))
		if rec.Code != http.StatusAccepted {
			t.Fatalf("PATCH %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	grown := int64(heapAlloc()) - int64(before)
	if grown > UploadMemory+16<<20 {
		t.Errorf("%d open uploads of %d bytes grew the heap by %d MiB, want at most about %d MiB", n, len(chunk), grown>>20, UploadMemory>>20)
	}
	files, _ := os.ReadDir(dir)
	if len(files) < n-UploadMemory/DefaultThreshold {
		t.Errorf("%d uploads in files, want at least %d", len(files), n-UploadMemory/DefaultThreshold)
	}
	for i, loc := range locs {
		chunk[0] = byte(i)
		d := digest.FromBytes(chunk)
		if rec := serve(reg, "10.0.0.1:1", "PUT", loc+"?digest="+d.String(), nil); rec.Code != http.StatusCreated {
			t.Fatalf("PUT %d: %d %s", i, rec.Code, rec.Body)
		}
	}
}

func TestUploadSessionLimits(t *testing.T) {
	reg, err := New(Options{MaxUploads: 3, MaxUploadsPerClient: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	start := func(from string, want int) string {
		t.Helper()
		rec := serve(reg, from, "POST", "/v2/repo/blobs/uploads/", nil)
		if rec.Code != want {
			t.Fatalf("POST from %s: %d %s, want %d", from, rec.Code, rec.Body, want)
		}
		if want == http.StatusTooManyRequests && !strings.Contains(rec.Body.String(), CodeTooManyRequests) {
			t.Errorf("POST from %s: body %s, want code %s", from, rec.Body, CodeTooManyRequests)
		}
		return rec.Header().Get("Location")
	}
	a1 := start("10.0.0.1:1000", http.StatusAccepted)
	start("10.0.0.1:1001", http.StatusAccepted)
	start("10.0.0.1:1002", http.StatusTooManyRequests) // per client
	start("10.0.0.2:1000", http.StatusAccepted)
	start("10.0.0.3:1000", http.StatusTooManyRequests) // in all
	// A monolithic upload holds no session between requests.
	body := []byte("whole")
	rec := serve(reg, "10.0.0.1:1", "POST", "/v2/repo/blobs/uploads/?digest="+digest.FromBytes(body).String(), bytes.NewReader(body))
	if rec.Code != http.StatusCreated {
		t.Errorf("monolithic POST at the limit: %d %s", rec.Code, rec.Body)
	}
	// Ending a session frees its place.
	if rec := serve(reg, "10.0.0.1:1000", "DELETE", a1, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", rec.Code)
	}
	start("10.0.0.3:1000", http.StatusAccepted)
	start("10.0.0.1:1000", http.StatusTooManyRequests)
}

// TestUploadExpiresOnTimer: an abandoned upload is dropped once idle for
// UploadTimeout, with no other request to notice it, and one in use is
// kept.
func TestUploadExpiresOnTimer(t *testing.T) {
	t.Parallel() // its own registry; most of its time is sleeping
	dir := t.TempDir()
	store, err := NewMemory(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 300 * time.Millisecond
	reg, err := New(Options{Storage: store, UploadTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	old := serve(reg, "10.0.0.1:1", "POST", "/v2/repo/blobs/uploads/", nil).Header().Get("Location")
	serve(reg, "10.0.0.1:1", "PATCH", old, strings.NewReader("abandoned in a file"))
	kept := serve(reg, "10.0.0.1:1", "POST", "/v2/repo/blobs/uploads/", nil).Header().Get("Location")
	for range 4 {
		time.Sleep(timeout / 2)
		if rec := serve(reg, "10.0.0.1:1", "PATCH", kept, strings.NewReader("x")); rec.Code != http.StatusAccepted {
			t.Fatalf("PATCH of the upload in use: %d %s", rec.Code, rec.Body)
		}
	}
	reg.upMu.Lock()
	_, oldThere := reg.uploads[old[strings.LastIndex(old, "/")+1:]]
	n := len(reg.uploads)
	reg.upMu.Unlock()
	if oldThere || n != 1 {
		t.Errorf("after %v idle: old upload kept %v, %d uploads open, want only the one in use", 2*timeout, oldThere, n)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("the expired upload left %d files", len(files))
	}
	if rec := serve(reg, "10.0.0.1:1", "GET", old, nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET of the expired upload: %d, want 404", rec.Code)
	}
}

func TestMaxBlobSize(t *testing.T) {
	const limit = 100
	reg, err := New(Options{MaxBlobSize: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	const from = "10.0.0.1:1"
	blob := func(n int) []byte { return bytes.Repeat([]byte{'b'}, n) }
	monolithic := func(b []byte, body io.Reader) int {
		return serve(reg, from, "POST", "/v2/repo/blobs/uploads/?digest="+digest.FromBytes(b).String(), body).Code
	}
	if c := monolithic(blob(limit), bytes.NewReader(blob(limit))); c != http.StatusCreated {
		t.Errorf("POST of %d bytes: %d, want 201", limit, c)
	}
	if c := monolithic(blob(limit+1), bytes.NewReader(blob(limit+1))); c != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of %d bytes: %d, want 413", limit+1, c)
	}
	// No Content-Length: the registry stops reading past the limit.
	if c := monolithic(blob(10*limit), io.MultiReader(bytes.NewReader(blob(10*limit)))); c != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of %d bytes of unknown length: %d, want 413", 10*limit, c)
	}
	tests := []struct {
		name    string
		headers []string
		body    io.Reader
	}{
		{"declared", []string{"Content-Range", fmt.Sprintf("60-%d", limit)}, bytes.NewReader(blob(limit - 59))},
		{"unknown length", nil, io.MultiReader(bytes.NewReader(blob(limit)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := serve(reg, from, "POST", "/v2/repo/blobs/uploads/", nil).Header().Get("Location")
			if c := serve(reg, from, "PATCH", loc, bytes.NewReader(blob(60)), "Content-Range", "0-59").Code; c != http.StatusAccepted {
				t.Fatalf("first PATCH: %d", c)
			}
			rec := serve(reg, from, "PATCH", loc, tt.body, tt.headers...)
			if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), CodeSizeInvalid) {
				t.Errorf("PATCH past %d bytes: %d %s, want 413 %s", limit, rec.Code, rec.Body, CodeSizeInvalid)
			}
			if c := serve(reg, from, "GET", loc, nil).Code; c != http.StatusNotFound {
				t.Errorf("GET of the upload past the limit: %d, want 404 (dropped)", c)
			}
		})
	}
}
