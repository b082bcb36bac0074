package registry

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzServe sends one request of any method, path, query, header and
// body to a registry that holds an image, with or without bearer auth:
// it never panics and never answers 5xx, which would be the registry's
// fault and not the request's.
func FuzzServe(f *testing.F) {
	img := newImage("fuzz", nil, "", nil)
	layer := digestOf(img.layer).String()
	for _, seed := range []struct {
		method, path, query, header, value string
		body                               []byte
		bearer                             bool
	}{
		{"GET", "/v2/", "", "", "", nil, false},
		{"GET", "/v2/repo/manifests/v1", "", "Accept", ocispec.MediaTypeImageManifest, nil, false},
		{"HEAD", "/v2/repo/blobs/" + layer, "", "Range", "bytes=1-3", nil, false},
		{"GET", "/v2/repo/blobs/" + layer, "", "Range", "bytes=-1", nil, false},
		{"POST", "/v2/repo/blobs/uploads/", "digest=" + layer, "Content-Type", "application/octet-stream", img.layer, false},
		{"POST", "/v2/other/blobs/uploads/", "mount=" + layer + "&from=repo", "", "", nil, true},
		{"PUT", "/v2/repo/manifests/v2", "", "Content-Type", ocispec.MediaTypeImageManifest, img.manifest, false},
		{"PATCH", "/v2/repo/blobs/uploads/x", "", "Content-Range", "0-3", []byte("abcd"), false},
		{"DELETE", "/v2/x/blobs/uploads/manifests/v1", "", "Authorization", "Bearer x", nil, true},
		{"GET", "/v2/repo/tags/list", "n=1&last=v0", "", "", nil, false},
		{"GET", "/v2/repo/referrers/" + img.digest.String(), "artifactType=a%2Fb", "", "", nil, false},
		{"GET", "/v2/_catalog", "n=-1", "", "", nil, false},
		{"POST", "/token", "", "Content-Type", "application/x-www-form-urlencoded", []byte("grant_type=password&username=u&password=p&scope=repository:repo:pull"), true},
		{"GET", "/token", "scope=repository::pull&scope=%3A%3A%3A", "Authorization", "Basic dTpw", nil, true},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.header, seed.value, seed.body, seed.bearer)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, method, path, query, header, value string, body []byte, bearer bool) {
		req, err := http.NewRequest(method, "http://registry.test/", bytes.NewReader(body))
		if err != nil || !strings.HasPrefix(path, "/") {
			return // net/http answers these before a handler sees them
		}
		req.URL = &url.URL{Scheme: "http", Host: "registry.test", Path: path, RawQuery: query}
		if header != "" {
			req.Header.Set(header, value)
		}
		store, err := NewMemory(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Storage: store}
		if bearer {
			opts.Auth = Auth{Scheme: BearerAuth, User: "u", Password: "p"}
		}
		reg, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer reg.Close()
		for _, b := range [][]byte{img.config, img.layer} {
			if err := reg.PutBlob("repo", digestOf(b), bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
		}
		if err := reg.PutManifest("repo", img.digest, ocispec.MediaTypeImageManifest, img.manifest, "v1"); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		reg.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Errorf("%s %s?%s with %s: %q: %d %s", method, path, query, header, value, w.Code, w.Body)
		}
	})
}
