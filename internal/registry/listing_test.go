package registry

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestTagList(t *testing.T) {
	c := newClient(t, Options{})
	c.do("GET", "/v2/repo/tags/list", nil).want(t, http.StatusNotFound, CodeNameUnknown)
	img := newImage("tags", nil, "", nil)
	c.push("repo", img, "")
	// Listing an existing repository without tags gives an empty list.
	r := c.do("GET", "/v2/repo/tags/list", nil)
	r.want(t, http.StatusOK, "")
	if strings.TrimSpace(string(r.body)) != `{"name":"repo","tags":[]}` {
		t.Errorf("no tags: %s", r.body)
	}
	tags := []string{"v2", "latest", "v1", "v10", "A"}
	for _, tag := range tags {
		c.pushManifest("repo", tag, ocispec.MediaTypeImageManifest, img.manifest).want(t, http.StatusCreated, "")
	}
	sorted := slices.Sorted(slices.Values(tags)) // A latest v1 v10 v2
	tests := []struct {
		query string
		want  []string
		next  string // the Link header, "" for none
	}{
		{"", sorted, ""},
		{"?n=2", sorted[:2], `</v2/repo/tags/list?last=latest&n=2>; rel="next"`},
		{"?n=2&last=latest", sorted[2:4], `</v2/repo/tags/list?last=v10&n=2>; rel="next"`},
		{"?n=2&last=v10", sorted[4:], ""},
		{"?last=v1", sorted[3:], ""},
		{"?last=b", sorted[1:], ""}, // last need not be a tag
		{"?last=v2", []string{}, ""},
		{"?n=5", sorted, ""},
		{"?n=0", []string{}, ""},
	}
	for _, tt := range tests {
		r := c.do("GET", "/v2/repo/tags/list"+tt.query, nil)
		r.want(t, http.StatusOK, "")
		var got struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Name != "repo" || !slices.Equal(got.Tags, tt.want) || r.Header.Get("Link") != tt.next {
			t.Errorf("tags/list%s: %s %q, Link %q; want %q, Link %q", tt.query, got.Name, got.Tags, r.Header.Get("Link"), tt.want, tt.next)
		}
	}
	c.do("GET", "/v2/repo/tags/list?n=-1", nil).want(t, http.StatusBadRequest, CodeUnsupported)
	c.do("GET", "/v2/repo/tags/list?n=x", nil).want(t, http.StatusBadRequest, CodeUnsupported)
}

func TestCatalog(t *testing.T) {
	c := newClient(t, Options{})
	for _, name := range []string{"b", "a/x", "c"} {
		c.pushBlob(name, []byte(name))
	}
	r := c.do("GET", "/v2/_catalog?n=2", nil)
	r.want(t, http.StatusOK, "")
	if strings.TrimSpace(string(r.body)) != `{"repositories":["a/x","b"]}` || !strings.Contains(r.Header.Get("Link"), "last=b") {
		t.Errorf("catalog: %s, Link %q", r.body, r.Header.Get("Link"))
	}
}

func TestReferrers(t *testing.T) {
	c := newClient(t, Options{})
	subject := newImage("subject", nil, "", nil)
	c.push("repo", subject, "v1")
	sd := subject.descriptor()
	sbom := newImage("sbom", &sd, "application/spdx+json", map[string]string{"k": "v"})
	sig := newImage("sig", &sd, "", nil) // its artifactType is its config's media type
	for _, ref := range []image{sbom, sig} {
		c.pushBlob("repo", ref.config)
		c.pushBlob("repo", ref.layer)
		r := c.pushManifest("repo", ref.digest.String(), ocispec.MediaTypeImageManifest, ref.manifest)
		r.want(t, http.StatusCreated, "")
		if r.Header.Get("OCI-Subject") != subject.digest.String() {
			t.Errorf("PUT of a referrer: OCI-Subject %q, want %s", r.Header.Get("OCI-Subject"), subject.digest)
		}
	}
	want := map[string]ocispec.Descriptor{
		sbom.digest.String(): {MediaType: ocispec.MediaTypeImageManifest, ArtifactType: "application/spdx+json", Digest: sbom.digest, Size: int64(len(sbom.manifest)), Annotations: map[string]string{"k": "v"}},
		sig.digest.String():  {MediaType: ocispec.MediaTypeImageManifest, ArtifactType: ocispec.MediaTypeImageConfig, Digest: sig.digest, Size: int64(len(sig.manifest))},
	}
	tests := []struct {
		query   string
		want    []string // digests
		filters string
	}{
		{"", []string{sbom.digest.String(), sig.digest.String()}, ""},
		{"?artifactType=application/spdx%2Bjson", []string{sbom.digest.String()}, "artifactType"},
		{"?artifactType=application/none", nil, "artifactType"},
	}
	for _, tt := range tests {
		r := c.do("GET", "/v2/repo/referrers/"+subject.digest.String()+tt.query, nil)
		r.want(t, http.StatusOK, "")
		if r.Header.Get("Content-Type") != ocispec.MediaTypeImageIndex || r.Header.Get("OCI-Filters-Applied") != tt.filters {
			t.Errorf("referrers%s: Content-Type %q, OCI-Filters-Applied %q", tt.query, r.Header.Get("Content-Type"), r.Header.Get("OCI-Filters-Applied"))
		}
		var ix ocispec.Index
		if err := json.Unmarshal(r.body, &ix); err != nil {
			t.Fatal(err)
		}
		if ix.SchemaVersion != 2 || ix.MediaType != ocispec.MediaTypeImageIndex || ix.Manifests == nil {
			t.Errorf("referrers%s: not an index: %s", tt.query, r.body)
		}
		var got []string
		for _, d := range ix.Manifests {
			got = append(got, d.Digest.String())
			w := want[d.Digest.String()]
			if d.MediaType != w.MediaType || d.ArtifactType != w.ArtifactType || d.Size != w.Size || len(d.Annotations) != len(w.Annotations) {
				t.Errorf("referrers%s: %+v, want %+v", tt.query, d, w)
			}
		}
		slices.Sort(got)
		wantDigests := slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got, wantDigests) {
			t.Errorf("referrers%s: %q, want %q", tt.query, got, wantDigests)
		}
	}
	// No referrers, or no repository: an empty index, not an error.
	for _, path := range []string{"/v2/repo/referrers/" + sbom.digest.String(), "/v2/none/referrers/" + sbom.digest.String()} {
		r := c.do("GET", path, nil)
		r.want(t, http.StatusOK, "")
		if !strings.Contains(string(r.body), `"manifests":[]`) {
			t.Errorf("GET %s: %s, want an empty manifests list", path, r.body)
		}
	}
	c.do("GET", "/v2/repo/referrers/v1", nil).want(t, http.StatusBadRequest, CodeDigestInvalid)
	// Deleting a referrer takes it off the list.
	c.do("DELETE", "/v2/repo/manifests/"+sig.digest.String(), nil).want(t, http.StatusAccepted, "")
	r := c.do("GET", "/v2/repo/referrers/"+subject.digest.String(), nil)
	if strings.Contains(string(r.body), sig.digest.String()) || !strings.Contains(string(r.body), sbom.digest.String()) {
		t.Errorf("after deleting %s: %s", sig.digest, r.body)
	}
}
