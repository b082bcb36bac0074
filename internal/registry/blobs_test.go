package registry

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/opencontainers/go-digest"
)

// pushes are the ways a client can upload a blob; each returns the last
// response, which completes the upload (or fails it).
var pushes = []struct {
	name string
	push func(c *client, name string, data []byte, d digest.Digest) response
}{
	{"post monolithic", func(c *client, name string, data []byte, d digest.Digest) response {
		return c.do("POST", "/v2/"+name+"/blobs/uploads/?digest="+d.String(), data)
	}},
	{"post then put", func(c *client, name string, data []byte, d digest.Digest) response {
		r := c.do("POST", "/v2/"+name+"/blobs/uploads/", nil)
		r.want(c.t, http.StatusAccepted, "")
		return c.do("PUT", r.Header.Get("Location")+"?digest="+d.String(), data)
	}},
	{"chunked", func(c *client, name string, data []byte, d digest.Digest) response {
		r := c.do("POST", "/v2/"+name+"/blobs/uploads/", nil)
		r.want(c.t, http.StatusAccepted, "")
		for start := 0; start < len(data); start += 100 {
			end := min(start+100, len(data))
			r = c.do("PATCH", r.Header.Get("Location"), data[start:end], "Content-Range", fmt.Sprintf("%d-%d", start, end-1))
			r.want(c.t, http.StatusAccepted, "")
			if got, want := r.Header.Get("Range"), fmt.Sprintf("0-%d", end-1); got != want {
				c.t.Fatalf("PATCH: Range %q, want %q", got, want)
			}
		}
		return c.do("PUT", r.Header.Get("Location")+"?digest="+d.String(), nil)
	}},
	{"chunked, last chunk in put", func(c *client, name string, data []byte, d digest.Digest) response {
		r := c.do("POST", "/v2/"+name+"/blobs/uploads/", nil)
		r = c.do("PATCH", r.Header.Get("Location"), data[:100], "Content-Range", "0-99")
		r.want(c.t, http.StatusAccepted, "")
		return c.do("PUT", r.Header.Get("Location")+"?digest="+d.String(), data[100:], "Content-Range", fmt.Sprintf("100-%d", len(data)-1))
	}},
	{"streamed", func(c *client, name string, data []byte, d digest.Digest) response {
		r := c.do("POST", "/v2/"+name+"/blobs/uploads/", nil)
		r = c.do("PATCH", r.Header.Get("Location"), data)
		r.want(c.t, http.StatusAccepted, "")
		return c.do("PUT", r.Header.Get("Location")+"?digest="+d.String(), nil)
	}},
}

func TestPushBlob(t *testing.T) {
	data := pattern(1, 1000)
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
		for _, p := range pushes {
			t.Run(alg.String()+"/"+p.name, func(t *testing.T) {
				c := newClient(t, Options{})
				d := alg.FromBytes(data)
				r := p.push(c, "repo", data, d)
				r.want(t, http.StatusCreated, "")
				if got := r.Header.Get("Docker-Content-Digest"); got != d.String() {
					t.Errorf("Docker-Content-Digest %q, want %s", got, d)
				}
				loc := r.Header.Get("Location")
				if loc != "/v2/repo/blobs/"+d.String() {
					t.Errorf("Location %q, want /v2/repo/blobs/%s", loc, d)
				}
				g := c.do("GET", loc, nil)
				g.want(t, http.StatusOK, "")
				if string(g.body) != string(data) {
					t.Errorf("GET returned %d bytes that differ from the %d pushed", len(g.body), len(data))
				}
				h := c.do("HEAD", loc, nil)
				h.want(t, http.StatusOK, "")
				if h.Header.Get("Content-Length") != strconv.Itoa(len(data)) || h.Header.Get("Docker-Content-Digest") != d.String() || len(h.body) != 0 {
					t.Errorf("HEAD: Content-Length %q, digest %q, %d body bytes; want %d, %s, none",
						h.Header.Get("Content-Length"), h.Header.Get("Docker-Content-Digest"), len(h.body), len(data), d)
				}
			})
		}
	}
}

func TestPushBlobDigestMismatch(t *testing.T) {
	data := pattern(2, 1000)
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
		for _, p := range pushes {
			t.Run(alg.String()+"/"+p.name, func(t *testing.T) {
				c := newClient(t, Options{})
				wrong := alg.FromString("something else")
				p.push(c, "repo", data, wrong).want(t, http.StatusBadRequest, CodeDigestInvalid)
				c.do("HEAD", "/v2/repo/blobs/"+wrong.String(), nil).want(t, http.StatusNotFound, "")
				c.do("HEAD", "/v2/repo/blobs/"+alg.FromBytes(data).String(), nil).want(t, http.StatusNotFound, "")
			})
		}
	}
}

func TestEmptyBlob(t *testing.T) {
	c := newClient(t, Options{})
	d := c.pushBlob("repo", []byte{})
	r := c.do("GET", "/v2/repo/blobs/"+d.String(), nil)
	r.want(t, http.StatusOK, "")
	if r.Header.Get("Content-Length") != "0" {
		t.Errorf("empty blob: Content-Length %q, want 0", r.Header.Get("Content-Length"))
	}
}

func TestChunkOutOfOrder(t *testing.T) {
	data := pattern(3, 300)
	d := digest.FromBytes(data)
	c := newClient(t, Options{})
	r := c.do("POST", "/v2/repo/blobs/uploads/", nil)
	loc := r.Header.Get("Location")
	if got := r.Header.Get("Range"); got != "0-0" {
		t.Errorf("POST: Range %q, want 0-0", got)
	}
	c.do("PATCH", loc, data[:100], "Content-Range", "0-99").want(t, http.StatusAccepted, "")
	tests := []struct {
		method, rng string
		chunk       []byte
	}{
		{"PATCH", "200-299", data[200:]},    // a gap
		{"PATCH", "0-99", data[:100]},       // again
		{"PATCH", "50-149", data[50:150]},   // overlapping
		{"PUT", "200-299", data[200:]},      // a gap, in the closing PUT
		{"PATCH", "101-200", data[101:201]}, // one byte off
	}
	for _, tt := range tests {
		path := loc
		if tt.method == "PUT" {
			path += "?digest=" + d.String()
		}
		r := c.do(tt.method, path, tt.chunk, "Content-Range", tt.rng)
		r.want(t, http.StatusRequestedRangeNotSatisfiable, CodeBlobUploadInvalid)
		if r.Header.Get("Range") != "0-99" || r.Header.Get("Location") == "" {
			t.Errorf("%s %s: Range %q, Location %q; want 0-99 and the upload's URL", tt.method, tt.rng, r.Header.Get("Range"), r.Header.Get("Location"))
		}
	}
	// The upload survives: its status says where to resume.
	s := c.do("GET", loc, nil)
	s.want(t, http.StatusNoContent, "")
	if s.Header.Get("Range") != "0-99" {
		t.Errorf("upload status: Range %q, want 0-99", s.Header.Get("Range"))
	}
	c.do("PATCH", loc, data[100:200], "Content-Range", "100-199").want(t, http.StatusAccepted, "")
	c.do("PUT", loc+"?digest="+d.String(), data[200:], "Content-Range", "200-299").want(t, http.StatusCreated, "")
}

func TestChunkBadRange(t *testing.T) {
	c := newClient(t, Options{})
	loc := c.do("POST", "/v2/repo/blobs/uploads/", nil).Header.Get("Location")
	for _, cr := range []string{"x-y", "5", "9-3", "-1-4"} {
		c.do("PATCH", loc, []byte("abc"), "Content-Range", cr).want(t, http.StatusBadRequest, CodeBlobUploadInvalid)
	}
	// A range whose length is not the body's.
	c.do("PATCH", loc, []byte("abc"), "Content-Range", "0-9").want(t, http.StatusBadRequest, CodeBlobUploadInvalid)
	// RFC 9110's form is accepted too.
	c.do("PATCH", loc, []byte("abc"), "Content-Range", "bytes 0-2/3").want(t, http.StatusAccepted, "")
}

func TestUploadSession(t *testing.T) {
	c := newClient(t, Options{})
	r := c.do("POST", "/v2/repo/blobs/uploads/", nil)
	loc := r.Header.Get("Location")
	id := r.Header.Get("Docker-Upload-UUID")
	if id == "" || loc != "/v2/repo/blobs/uploads/"+id {
		t.Fatalf("POST: Location %q, Docker-Upload-UUID %q", loc, id)
	}
	// Another repository cannot use it.
	c.do("PATCH", "/v2/other/blobs/uploads/"+id, []byte("x")).want(t, http.StatusNotFound, CodeBlobUploadUnknown)
	c.do("PUT", loc, []byte("x")).want(t, http.StatusBadRequest, CodeDigestInvalid) // no ?digest=
	c.do("DELETE", loc, nil).want(t, http.StatusNoContent, "")
	for _, m := range []string{"GET", "PATCH", "PUT", "DELETE"} {
		c.do(m, loc, nil).want(t, http.StatusNotFound, CodeBlobUploadUnknown)
	}
	c.do("GET", "/v2/repo/blobs/uploads/nosuchupload", nil).want(t, http.StatusNotFound, CodeBlobUploadUnknown)
}

func TestRange(t *testing.T) {
	data := pattern(4, 2048)
	c := newClient(t, Options{})
	d := c.pushBlob("repo", data)
	tests := []struct {
		rng          string
		status       int
		from, to     int // the bytes returned, inclusive
		contentRange string
	}{
		{"bytes=500-1499", http.StatusPartialContent, 500, 1499, "bytes 500-1499/2048"},
		{"bytes=500-", http.StatusPartialContent, 500, 2047, "bytes 500-2047/2048"},
		{"bytes=-500", http.StatusPartialContent, 1548, 2047, "bytes 1548-2047/2048"},
		{"bytes=2000-5000", http.StatusPartialContent, 2000, 2047, "bytes 2000-2047/2048"},
		{"bytes=0-0", http.StatusPartialContent, 0, 0, "bytes 0-0/2048"},
		{"bytes=500-0", http.StatusRequestedRangeNotSatisfiable, 0, -1, ""},
		{"bytes=5000-10000", http.StatusRequestedRangeNotSatisfiable, 0, -1, ""},
	}
	for _, tt := range tests {
		r := c.do("GET", "/v2/repo/blobs/"+d.String(), nil, "Range", tt.rng)
		if r.StatusCode != tt.status {
			t.Errorf("Range %s: status %d, want %d", tt.rng, r.StatusCode, tt.status)
			continue
		}
		if tt.status != http.StatusPartialContent {
			continue
		}
		if string(r.body) != string(data[tt.from:tt.to+1]) || r.Header.Get("Content-Range") != tt.contentRange {
			t.Errorf("Range %s: %d bytes, Content-Range %q; want bytes %d-%d, %q", tt.rng, len(r.body), r.Header.Get("Content-Range"), tt.from, tt.to, tt.contentRange)
		}
	}
	// The digest is the ETag.
	c.do("GET", "/v2/repo/blobs/"+d.String(), nil, "If-None-Match", `"`+d.String()+`"`).want(t, http.StatusNotModified, "")
}

func TestDeleteBlob(t *testing.T) {
	c := newClient(t, Options{})
	data := []byte("shared")
	d := c.pushBlob("a", data)
	c.pushBlob("b", data)
	c.do("DELETE", "/v2/a/blobs/"+d.String(), nil).want(t, http.StatusAccepted, "")
	c.do("GET", "/v2/a/blobs/"+d.String(), nil).want(t, http.StatusNotFound, CodeBlobUnknown)
	c.do("DELETE", "/v2/a/blobs/"+d.String(), nil).want(t, http.StatusNotFound, CodeBlobUnknown)
	// Repository b still holds it, and its bytes.
	if r := c.do("GET", "/v2/b/blobs/"+d.String(), nil); r.StatusCode != http.StatusOK || string(r.body) != string(data) {
		t.Fatalf("b lost the blob: %d %q", r.StatusCode, r.body)
	}
	c.do("DELETE", "/v2/b/blobs/"+d.String(), nil).want(t, http.StatusAccepted, "")
	if _, err := c.reg.store.Stat(d); err == nil {
		t.Errorf("the bytes of %s outlived the last repository holding them", d)
	}
}

func TestMount(t *testing.T) {
	c := newClient(t, Options{})
	d := c.pushBlob("src", []byte("mount me"))
	missing := digest.FromString("not pushed")
	tests := []struct {
		name, query string
		status      int
		location    string
	}{
		{"from a repository holding it", "mount=" + d.String() + "&from=src", http.StatusCreated, "/v2/dst/blobs/" + d.String()},
		{"without from", "mount=" + d.String(), http.StatusAccepted, "/v2/dst/blobs/uploads/"},
		{"from a repository without it", "mount=" + d.String() + "&from=empty", http.StatusAccepted, "/v2/dst/blobs/uploads/"},
		{"a blob nobody has", "mount=" + missing.String() + "&from=src", http.StatusAccepted, "/v2/dst/blobs/uploads/"},
		{"from an invalid name", "mount=" + d.String() + "&from=In/Valid", http.StatusAccepted, "/v2/dst/blobs/uploads/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.do("DELETE", "/v2/dst/blobs/"+d.String(), nil)
			r := c.do("POST", "/v2/dst/blobs/uploads/?"+tt.query, nil)
			r.want(t, tt.status, "")
			if loc := r.Header.Get("Location"); len(loc) < len(tt.location) || loc[:len(tt.location)] != tt.location {
				t.Errorf("Location %q, want %s...", loc, tt.location)
			}
			want := http.StatusNotFound
			if tt.status == http.StatusCreated {
				want = http.StatusOK
			}
			c.do("HEAD", "/v2/dst/blobs/"+d.String(), nil).want(t, want, "")
		})
	}
	c.do("POST", "/v2/dst/blobs/uploads/?mount=sha256:bad", nil).want(t, http.StatusBadRequest, CodeDigestInvalid)
}
