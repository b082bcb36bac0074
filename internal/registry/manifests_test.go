package registry

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestManifest(t *testing.T) {
	c := newClient(t, Options{})
	img := newImage("m", nil, "", nil)
	c.pushBlob("repo", img.config)
	c.pushBlob("repo", img.layer)
	r := c.pushManifest("repo", "v1", ocispec.MediaTypeImageManifest, img.manifest)
	r.want(t, http.StatusCreated, "")
	if r.Header.Get("Location") != "/v2/repo/manifests/"+img.digest.String() || r.Header.Get("Docker-Content-Digest") != img.digest.String() {
		t.Errorf("PUT: Location %q, Docker-Content-Digest %q; want the manifest's digest %s", r.Header.Get("Location"), r.Header.Get("Docker-Content-Digest"), img.digest)
	}
	if r.Header.Get("OCI-Subject") != "" {
		t.Errorf("PUT of a manifest without a subject: OCI-Subject %q", r.Header.Get("OCI-Subject"))
	}
	for _, ref := range []string{"v1", img.digest.String()} {
		for _, method := range []string{"GET", "HEAD"} {
			r := c.do(method, "/v2/repo/manifests/"+ref, nil, "Accept", ocispec.MediaTypeImageManifest)
			r.want(t, http.StatusOK, "")
			if r.Header.Get("Content-Type") != ocispec.MediaTypeImageManifest ||
				r.Header.Get("Docker-Content-Digest") != img.digest.String() ||
				r.Header.Get("Content-Length") != strconv.Itoa(len(img.manifest)) {
				t.Errorf("%s %s: headers %v", method, ref, r.Header)
			}
			want := string(img.manifest)
			if method == "HEAD" {
				want = ""
			}
			if string(r.body) != want {
				t.Errorf("%s %s: body %q, want %q", method, ref, r.body, want)
			}
		}
	}
	c.do("GET", "/v2/repo/manifests/v2", nil).want(t, http.StatusNotFound, CodeManifestUnknown)
	c.do("GET", "/v2/other/manifests/"+img.digest.String(), nil).want(t, http.StatusNotFound, CodeManifestUnknown)
}

func TestManifestContentType(t *testing.T) {
	c := newClient(t, Options{})
	// The registry serves a manifest with the media type it was pushed
	// with, whatever the type: here an artifact type it does not know.
	raw := []byte(`{"schemaVersion":2,"custom":true}`)
	const mt = "application/vnd.example.thing.v1+json"
	c.pushManifest("repo", "thing", mt, raw).want(t, http.StatusCreated, "")
	if got := c.do("GET", "/v2/repo/manifests/thing", nil).Header.Get("Content-Type"); got != mt {
		t.Errorf("Content-Type %q, want %q", got, mt)
	}
	// Without a Content-Type, the manifest's mediaType field decides.
	img := newImage("ct", nil, "", nil)
	c.pushBlob("repo", img.config)
	c.pushBlob("repo", img.layer)
	c.pushManifest("repo", "img", "", img.manifest).want(t, http.StatusCreated, "")
	if got := c.do("GET", "/v2/repo/manifests/img", nil).Header.Get("Content-Type"); got != ocispec.MediaTypeImageManifest {
		t.Errorf("Content-Type %q, want %q", got, ocispec.MediaTypeImageManifest)
	}
}

func TestManifestInvalid(t *testing.T) {
	img := newImage("bad", nil, "", nil)
	index := func(children ...digest.Digest) []byte {
		ix := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex}
		ix.SchemaVersion = 2
		for _, d := range children {
			ix.Manifests = append(ix.Manifests, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: d, Size: 1})
		}
		b, _ := json.Marshal(ix)
		return b
	}
	tests := []struct {
		name      string
		ref       string
		mediaType string
		body      []byte
		pushBlobs bool
		status    int
		code      string
	}{
		{"missing blobs", "t", ocispec.MediaTypeImageManifest, img.manifest, false, http.StatusBadRequest, CodeManifestBlobUnknown},
		{"missing child", "t", ocispec.MediaTypeImageIndex, index(digest.FromString("child")), true, http.StatusBadRequest, CodeManifestBlobUnknown},
		{"wrong digest", digest.FromString("x").String(), ocispec.MediaTypeImageManifest, img.manifest, true, http.StatusBadRequest, CodeDigestInvalid},
		{"wrong sha512 digest", digest.SHA512.FromString("x").String(), ocispec.MediaTypeImageManifest, img.manifest, true, http.StatusBadRequest, CodeDigestInvalid},
		{"bad digest", "sha256:baddigeststring", ocispec.MediaTypeImageManifest, img.manifest, true, http.StatusBadRequest, CodeDigestInvalid},
		{"bad tag", "-tag", ocispec.MediaTypeImageManifest, img.manifest, true, http.StatusBadRequest, CodeManifestInvalid},
		{"not JSON", "t", ocispec.MediaTypeImageManifest, []byte("{"), true, http.StatusBadRequest, CodeManifestInvalid},
		{"media types differ", "t", ocispec.MediaTypeImageIndex, img.manifest, true, http.StatusBadRequest, CodeManifestInvalid},
		{"no config", "t", ocispec.MediaTypeImageManifest, []byte(`{"schemaVersion":2,"layers":[]}`), true, http.StatusBadRequest, CodeManifestInvalid},
		{"bad layer digest", "t", ocispec.MediaTypeImageManifest, []byte(`{"schemaVersion":2,"config":{"digest":"sha256:0"},"layers":[]}`), true, http.StatusBadRequest, CodeManifestInvalid},
		{"no media type", "t", "", []byte(`{"schemaVersion":2}`), true, http.StatusBadRequest, CodeManifestInvalid},
		{"too large", "t", "application/json", []byte(`"` + strings.Repeat("a", MaxManifestSize) + `"`), true, http.StatusRequestEntityTooLarge, CodeSizeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, Options{})
			if tt.pushBlobs {
				c.pushBlob("repo", img.config)
				c.pushBlob("repo", img.layer)
			}
			c.pushManifest("repo", tt.ref, tt.mediaType, tt.body).want(t, tt.status, tt.code)
			c.do("GET", "/v2/repo/manifests/t", nil).want(t, http.StatusNotFound, CodeManifestUnknown)
		})
	}
}

func TestManifestReferences(t *testing.T) {
	c := newClient(t, Options{})
	// Non-distributable layers need not be pushed; the others must be.
	config := []byte(`{}`)
	c.pushBlob("repo", config)
	foreign := digest.FromString("foreign")
	m := ocispec.Manifest{
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(config), Size: 2},
		Layers: []ocispec.Descriptor{
			{MediaType: ocispec.MediaTypeImageLayerNonDistributableGzip, Digest: foreign, Size: 7}, //nolint:staticcheck // what old images hold
			{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: foreign, Size: 7, URLs: []string{"https://example.com/layer"}},
		},
	}
	m.SchemaVersion = 2
	raw, _ := json.Marshal(m)
	c.pushManifest("repo", "foreign", ocispec.MediaTypeImageManifest, raw).want(t, http.StatusCreated, "")
	// An index of it, with both its children pushed, is accepted.
	ix := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(raw), Size: int64(len(raw))}}}
	ix.SchemaVersion = 2
	rawIx, _ := json.Marshal(ix)
	c.pushManifest("repo", "index", ocispec.MediaTypeImageIndex, rawIx).want(t, http.StatusCreated, "")
	// A manifest is a child only in its own repository.
	c.pushManifest("other", "index", ocispec.MediaTypeImageIndex, rawIx).want(t, http.StatusBadRequest, CodeManifestBlobUnknown)
}

func TestManifestSHA512(t *testing.T) {
	c := newClient(t, Options{})
	raw := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
	d := digest.SHA512.FromBytes(raw)
	c.pushManifest("repo", d.String(), ocispec.MediaTypeImageIndex, raw).want(t, http.StatusCreated, "")
	r := c.do("GET", "/v2/repo/manifests/"+d.String(), nil)
	r.want(t, http.StatusOK, "")
	if string(r.body) != string(raw) || r.Header.Get("Docker-Content-Digest") != d.String() {
		t.Errorf("GET by sha512: %q, digest %q", r.body, r.Header.Get("Docker-Content-Digest"))
	}
}

func TestManifestTagParams(t *testing.T) {
	c := newClient(t, Options{})
	img := newImage("tp", nil, "", nil)
	c.pushBlob("repo", img.config)
	c.pushBlob("repo", img.layer)
	r := c.pushManifest("repo", img.digest.String()+"?tag=a&tag=b", ocispec.MediaTypeImageManifest, img.manifest)
	r.want(t, http.StatusCreated, "")
	if got := r.Header.Values("OCI-Tag"); strings.Join(got, ",") != "a,b" {
		t.Errorf("OCI-Tag %q, want a and b", got)
	}
	for _, tag := range []string{"a", "b"} {
		c.do("HEAD", "/v2/repo/manifests/"+tag, nil).want(t, http.StatusOK, "")
	}
}

func TestDeleteManifest(t *testing.T) {
	c := newClient(t, Options{})
	img := newImage("del", nil, "", nil)
	c.push("repo", img, "v1")
	c.pushManifest("repo", "v2", ocispec.MediaTypeImageManifest, img.manifest).want(t, http.StatusCreated, "")
	// Deleting a tag leaves the manifest and its other tags.
	c.do("DELETE", "/v2/repo/manifests/v1", nil).want(t, http.StatusAccepted, "")
	c.do("HEAD", "/v2/repo/manifests/v1", nil).want(t, http.StatusNotFound, "")
	c.do("HEAD", "/v2/repo/manifests/v2", nil).want(t, http.StatusOK, "")
	c.do("DELETE", "/v2/repo/manifests/v1", nil).want(t, http.StatusNotFound, CodeManifestUnknown)
	// Deleting by digest deletes its tags.
	c.do("DELETE", "/v2/repo/manifests/"+img.digest.String(), nil).want(t, http.StatusAccepted, "")
	c.do("HEAD", "/v2/repo/manifests/"+img.digest.String(), nil).want(t, http.StatusNotFound, "")
	c.do("HEAD", "/v2/repo/manifests/v2", nil).want(t, http.StatusNotFound, "")
	c.do("DELETE", "/v2/repo/manifests/"+img.digest.String(), nil).want(t, http.StatusNotFound, CodeManifestUnknown)
	// The blobs stay until deleted themselves.
	c.do("HEAD", "/v2/repo/blobs/"+digestOf(img.layer).String(), nil).want(t, http.StatusOK, "")
}
