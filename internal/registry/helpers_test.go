package registry

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// client sends requests to a test server of a Registry.
type client struct {
	t   testing.TB
	url string
	hc  *http.Client
	reg *Registry
	// header is added to every request, such as Authorization.
	header http.Header
}

// newClient serves a Registry with opts and returns a client of it; both
// end with the test.
func newClient(t testing.TB, opts Options) *client {
	t.Helper()
	reg, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg)
	t.Cleanup(func() {
		srv.Close()
		if err := reg.Close(); err != nil {
			t.Error(err)
		}
	})
	return &client{t: t, url: srv.URL, hc: srv.Client(), reg: reg, header: http.Header{}}
}

// response is a response with its body read.
type response struct {
	*http.Response
	body []byte
}

// code returns the code of the first error of an error body, or "".
func (r response) code() string {
	var e struct {
		Errors []struct{ Code, Message string }
	}
	if json.Unmarshal(r.body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// do sends method path (path may hold a query, or be a Location) with
// body (nil for none) and headers given as name, value pairs.
func (c *client) do(method, path string, body []byte, headers ...string) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.url + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{resp, b}
}

// want fails the test unless r has status (and, for an error, code).
func (r response) want(t testing.TB, status int, code string) {
	t.Helper()
	if r.StatusCode != status || r.code() != code {
		t.Fatalf("%s %s: got %d %q, want %d %q; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.code(), status, code, r.body)
	}
}

// pushBlob pushes data to repository name in one POST and returns its
// digest.
func (c *client) pushBlob(name string, data []byte) digest.Digest {
	c.t.Helper()
	d := digest.FromBytes(data)
	c.do("POST", "/v2/"+name+"/blobs/uploads/?digest="+d.String(), data).want(c.t, http.StatusCreated, "")
	return d
}

// pushManifest pushes raw with mediaType to name under ref.
func (c *client) pushManifest(name, ref, mediaType string, raw []byte) response {
	c.t.Helper()
	return c.do("PUT", "/v2/"+name+"/manifests/"+ref, raw, "Content-Type", mediaType)
}

// image is a small image manifest and the blobs it references.
type image struct {
	config, layer []byte
	manifest      []byte
	digest        digest.Digest
}

// newImage returns an image whose contents depend on seed, with the
// given subject (nil for none) and artifactType ("" for none).
func newImage(seed string, subject *ocispec.Descriptor, artifactType string, annotations map[string]string) image {
	img := image{config: []byte(`{"architecture":"amd64","os":"linux","seed":"` + seed + `"}`), layer: []byte("layer " + seed)}
	m := ocispec.Manifest{
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType,
		Config:       ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(img.config), Size: int64(len(img.config))},
		Layers:       []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(img.layer), Size: int64(len(img.layer))}},
		Subject:      subject,
		Annotations:  annotations,
	}
	m.SchemaVersion = 2
	img.manifest, _ = json.Marshal(m)
	img.digest = digest.FromBytes(img.manifest)
	return img
}

func (img image) descriptor() ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: img.digest, Size: int64(len(img.manifest))}
}

// push pushes img's blobs and manifest to name, tagged tag ("" for
// none).
func (c *client) push(name string, img image, tag string) {
	c.t.Helper()
	c.pushBlob(name, img.config)
	c.pushBlob(name, img.layer)
	ref := tag
	if ref == "" {
		ref = img.digest.String()
	}
	c.pushManifest(name, ref, ocispec.MediaTypeImageManifest, img.manifest).want(c.t, http.StatusCreated, "")
}

func digestOf(b []byte) digest.Digest { return digest.FromBytes(b) }

// pattern returns n bytes that depend on seed.
func pattern(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7+i/251)
	}
	return b
}
