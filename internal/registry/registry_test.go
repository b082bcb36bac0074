package registry

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestPing(t *testing.T) {
	c := newClient(t, Options{})
	for _, path := range []string{"/v2/", "/v2"} {
		r := c.do("GET", path, nil)
		r.want(t, http.StatusOK, "")
		if got := r.Header.Get("Docker-Distribution-API-Version"); got != "registry/2.0" {
			t.Errorf("GET %s: Docker-Distribution-API-Version %q, want registry/2.0", path, got)
		}
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"library/alpine", true},
		{"a.b_c__d---e/f0/9", true},
		{"my-org/sub/repo", true},
		{"", false},
		{"A", false},
		{"a/", false},
		{"/a", false},
		{"a//b", false},
		{"a_.b", false},
		{"a___b", false},
		{"-a", false},
		{"a:b", false},
		{strings.Repeat("a", 256), false},
	}
	for _, tt := range tests {
		if got := ValidName(tt.name); got != tt.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

func TestValidTag(t *testing.T) {
	for tag, ok := range map[string]bool{
		"latest": true, "v1.2.3-rc_1": true, "_x": true, strings.Repeat("a", 128): true,
		"": false, ".x": false, "-x": false, "a:b": false, "a/b": false, strings.Repeat("a", 129): false,
	} {
		if got := ValidTag(tag); got != ok {
			t.Errorf("ValidTag(%q) = %v, want %v", tag, got, ok)
		}
	}
}

func TestRouting(t *testing.T) {
	c := newClient(t, Options{})
	d := c.pushBlob("a/blobs/b", []byte("x"))
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		// A name may hold a "blobs" segment.
		{"GET", "/v2/a/blobs/b/blobs/" + d.String(), http.StatusOK, ""},
		{"GET", "/v2/a/blobs/" + d.String(), http.StatusNotFound, CodeBlobUnknown},
		{"GET", "/v2/Upper/blobs/" + d.String(), http.StatusBadRequest, CodeNameInvalid},
		{"GET", "/v2/a/blobs/sha256:nothex", http.StatusBadRequest, CodeDigestInvalid},
		{"GET", "/v2/a/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", http.StatusBadRequest, CodeDigestInvalid},
		{"PUT", "/v2/a/blobs/" + d.String(), http.StatusMethodNotAllowed, CodeUnsupported},
		{"POST", "/v2/a/tags/list", http.StatusMethodNotAllowed, CodeUnsupported},
		{"GET", "/v2/a/nothing", http.StatusNotFound, CodeUnsupported},
		{"GET", "/other", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		r := c.do(tt.method, tt.path, nil)
		if r.StatusCode != tt.status || r.code() != tt.code {
			t.Errorf("%s %s: got %d %q, want %d %q", tt.method, tt.path, r.StatusCode, r.code(), tt.status, tt.code)
		}
		if tt.code != "" && r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: error Content-Type %q, want application/json", tt.method, tt.path, r.Header.Get("Content-Type"))
		}
		if tt.status == http.StatusMethodNotAllowed && r.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without an Allow header", tt.method, tt.path)
		}
	}
}

func TestErrorBody(t *testing.T) {
	c := newClient(t, Options{})
	r := c.do("GET", "/v2/repo/manifests/latest", nil)
	r.want(t, http.StatusNotFound, CodeManifestUnknown)
	var body struct {
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Errors) != 1 || body.Errors[0]["message"] == "" {
		t.Errorf("error body %s: want one error with a code and a message", r.body)
	}
}

func TestReadOnly(t *testing.T) {
	c := newClient(t, Options{ReadOnly: true})
	img := newImage("ro", nil, "", nil)
	for _, put := range []func() error{
		func() error {
			return c.reg.PutBlob("repo", digestOf(img.config), strings.NewReader(string(img.config)))
		},
		func() error { return c.reg.PutBlob("repo", digestOf(img.layer), strings.NewReader(string(img.layer))) },
		func() error {
			return c.reg.PutManifest("repo", img.digest, "application/vnd.oci.image.manifest.v1+json", img.manifest, "v1")
		},
	} {
		if err := put(); err != nil {
			t.Fatal(err)
		}
	}
	c.do("GET", "/v2/repo/manifests/v1", nil).want(t, http.StatusOK, "")
	c.do("HEAD", "/v2/repo/blobs/"+digestOf(img.layer).String(), nil).want(t, http.StatusOK, "")
	for _, w := range []struct{ method, path string }{
		{"POST", "/v2/repo/blobs/uploads/"},
		{"POST", "/v2/other/blobs/uploads/?mount=" + digestOf(img.layer).String() + "&from=repo"},
		{"PUT", "/v2/repo/manifests/v2"},
		{"DELETE", "/v2/repo/manifests/v1"},
		{"DELETE", "/v2/repo/blobs/" + digestOf(img.layer).String()},
	} {
		c.do(w.method, w.path, []byte("{}")).want(t, http.StatusMethodNotAllowed, CodeUnsupported)
	}
	c.do("GET", "/v2/repo/manifests/v1", nil).want(t, http.StatusOK, "")
}
