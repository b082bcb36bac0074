package registrytest

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
)

var (
	amd64 = image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = image.Platform{OS: "linux", Architecture: "arm64"}
)

func TestRegistryPreload(t *testing.T) {
	reg := New(t, Options{ReadOnly: true})
	img := imagetest.Image(t, imagetest.Spec{Seed: 7, Layers: 2, Files: 3})
	ix := imagetest.Index(t, imagetest.Spec{Seed: 8, Files: 2, Platforms: []image.Platform{amd64, arm64}})
	if ref := reg.Preload(t, "app", img, "v1", "latest"); ref != reg.Host()+"/app@"+img.Digest().String() {
		t.Errorf("Preload returned %q", ref)
	}
	reg.Preload(t, "multi/arch", ix, "v2")
	if log := reg.Log(); len(log) != 0 {
		t.Errorf("Preload went through HTTP: %+v", log)
	}
	for _, tc := range []struct {
		repo, tag string
		raw       []byte
		mediaType string
	}{
		{"app", "v1", img.RawManifest(), img.MediaType()},
		{"app", "latest", img.RawManifest(), img.MediaType()},
		{"multi/arch", "v2", ix.RawManifest(), ix.MediaType()},
	} {
		resp, body, err := send(t, reg, "GET", "/v2/"+tc.repo+"/manifests/"+tc.tag, nil)
		if err != nil || resp.StatusCode != http.StatusOK || string(body) != string(tc.raw) || resp.Header.Get("Content-Type") != tc.mediaType {
			t.Errorf("GET %s:%s: %v %v %s", tc.repo, tc.tag, err, resp, body)
		}
	}
	// Every blob each reaches is there, a manifest as a manifest, with
	// its bytes.
	for repo, a := range map[string]image.Artifact{"app": img, "multi/arch": ix} {
		for _, b := range a.Blobs() {
			kind := "blobs"
			if isManifest(b.Descriptor.MediaType) {
				kind = "manifests"
			}
			want, err := readBlob(t.Context(), b)
			if err != nil {
				t.Fatal(err)
			}
			resp, body, err := send(t, reg, "GET", "/v2/"+repo+"/"+kind+"/"+b.Descriptor.Digest.String(), nil)
			if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
				t.Errorf("GET %s %s %s: %v %v, %d bytes, want %d", repo, kind, b.Descriptor.Digest, err, resp.StatusCode, len(body), len(want))
			}
		}
	}
	// A referrer preloads too, and the referrers API lists it.
	subject := img.Descriptor()
	sbom, err := image.NewManifest("application/spdx+json", []image.Blob{image.BlobFromBytes("application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))}, &subject, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg.Preload(t, "app", sbom)
	if _, body, err := send(t, reg, "GET", "/v2/app/referrers/"+img.Digest().String()+"?artifactType=application/spdx%2Bjson", nil); err != nil || !strings.Contains(string(body), sbom.Digest().String()) {
		t.Errorf("referrers of the preloaded image: %v %s, want %s", err, body, sbom.Digest())
	}
	if _, err := reg.Put(t.Context(), "Bad Name", img); err == nil || !strings.Contains(err.Error(), "Bad Name") {
		t.Errorf("Put to an invalid name: %v", err)
	}
}
