package remote

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/internal/dockerregistry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const spdxType = "application/spdx+json"

// TestPushReferrersNoDelete pushes two referrers of one image to a
// registry without the referrers API that refuses deletes, as
// distribution does by default: the second push replaces the tag schema's
// index and cannot delete the old one, which is no failure; the new index
// lists both.
func TestPushReferrersNoDelete(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	px := reg.Proxy(t)
	px.Fail(registrytest.Fault{Method: http.MethodDelete, Times: -1, Status: http.StatusMethodNotAllowed})
	opts := Options{CAFiles: []string{reg.CA.File}, Username: reg.User, Password: reg.Password}
	ref := px.Host() + "/app:v1"

	img := imagetest.Image(t, imagetest.Spec{Seed: 5})
	if _, err := Push(t.Context(), ref, img, opts); err != nil {
		t.Fatal(err)
	}
	subject := img.Descriptor()
	var refs []image.Artifact
	for _, doc := range []string{`{"spdxVersion":"SPDX-2.3","name":"one"}`, `{"spdxVersion":"SPDX-2.3","name":"two"}`} {
		m, err := image.NewManifest(spdxType, []image.Blob{image.BlobFromBytes(spdxType, []byte(doc))}, &subject, nil)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, m)
	}
	for _, r := range refs {
		if _, err := PushReferrers(t.Context(), ref, []image.Artifact{r}, opts); err != nil {
			t.Fatalf("push referrer %s: %v", r.Digest(), err)
		}
	}
	var refused int
	for _, r := range px.Log() {
		if r.Fault && r.Status == http.StatusMethodNotAllowed {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d deletes refused, want 1 (the first index, when the second replaced it):\n%+v", refused, px.Log())
	}
	code, body := getIndex(t, reg, "/v2/app/manifests/sha256-"+img.Digest().Encoded())
	var list ocispec.Index
	if code != http.StatusOK || json.Unmarshal(body, &list) != nil {
		t.Fatalf("tag schema index: %d %s", code, body)
	}
	if len(list.Manifests) != 2 || list.Manifests[0].Digest != refs[0].Digest() || list.Manifests[1].Digest != refs[1].Digest() {
		t.Errorf("the tag schema's index lists %+v, want both referrers", list.Manifests)
	}
}

// getIndex GETs path of reg as an OCI index, with reg's credentials.
func getIndex(t *testing.T, reg *dockerregistry.Docker, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+reg.Host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageIndex)
	req.SetBasicAuth(reg.User, reg.Password)
	resp, err := reg.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestReferrers lists what PushReferrers pushed, filtered by artifact
// type, on the in-process registry (the referrers API) and on
// distribution (the API, or the tag schema where it has none).
func TestReferrers(t *testing.T) {
	const otherType = "application/vnd.example+json"
	reg := registrytest.New(t, registrytest.Options{})
	dist := dockerregistry.Start(t, dockerregistry.Config{})
	for _, tt := range []struct {
		name string
		host string
		opts Options
	}{
		{"registrytest", reg.Host(), Options{InsecureAllowHTTP: true}},
		{"distribution", dist.Host, Options{CAFiles: []string{dist.CA.File}, Username: dist.User, Password: dist.Password}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ref := tt.host + "/app:v1"
			img := imagetest.Image(t, imagetest.Spec{Seed: 6})
			if _, err := Push(t.Context(), ref, img, tt.opts); err != nil {
				t.Fatal(err)
			}
			if ds, err := Referrers(t.Context(), ref, img.Digest(), "", tt.opts); err != nil || len(ds) != 0 {
				t.Fatalf("before any push: %+v, %v; want none", ds, err)
			}
			subject := img.Descriptor()
			var refs []image.Artifact
			for _, typ := range []string{spdxType, otherType, spdxType} {
				m, err := image.NewManifest(typ, []image.Blob{image.BlobFromBytes(typ, []byte(`{"n":`+fmt.Sprint(len(refs))+`}`))}, &subject, nil)
				if err != nil {
					t.Fatal(err)
				}
				refs = append(refs, m)
			}
			if _, err := PushReferrers(t.Context(), ref, refs, tt.opts); err != nil {
				t.Fatal(err)
			}
			ds, err := Referrers(t.Context(), ref, img.Digest(), spdxType, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, d := range ds {
				got[d.Digest.String()] = d.ArtifactType == spdxType
			}
			if len(ds) != 2 || !got[refs[0].Digest().String()] || !got[refs[2].Digest().String()] {
				t.Errorf("spdx referrers %+v, want %s and %s", ds, refs[0].Digest(), refs[2].Digest())
			}
			if all, err := Referrers(t.Context(), ref, img.Digest(), "", tt.opts); err != nil || len(all) != 3 {
				t.Errorf("all referrers: %+v, %v; want 3", all, err)
			}
		})
	}
}
