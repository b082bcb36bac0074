package build_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/sbom"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestPushReferrers pushes a two-platform index and its SBOM referrers
// (Result.Referrers, as remote.PushReferrers takes them) to
// a registry with the OCI 1.1 referrers API (imagetest's) and to one
// without it (Debian's docker-registry, distribution 2.8), and asks each
// for the referrers of every platform's manifest: through the API, or
// through the referrers tag schema's index ("sha256-HEX") where there is
// none. Each platform has exactly one SPDX referrer, whose subject is that
// platform's manifest, and the index's digest is the one built.
func TestPushReferrers(t *testing.T) {
	t.Parallel()
	res, err := build.Run(t.Context(), build.Recipe{
		Package:   hello(t),
		Platforms: []image.Platform{amd64, arm64},
		Bare:      true,
	})
	if err != nil {
		t.Fatal(err)
	}
	refs, err := res.Referrers()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("referrers API", func(t *testing.T) {
		reg := registrytest.New(t, registrytest.Options{})
		c := regClient{base: reg.URL(), c: reg.Client()}
		pushAndCheck(t, res, refs, reg.Host()+"/team/hello:v1", remote.Options{InsecureAllowHTTP: true}, c, true)
	})
	t.Run("tag schema", func(t *testing.T) {
		reg := dockerregistry.Start(t, dockerregistry.Config{})
		c := regClient{base: "https://" + reg.Host, c: reg.Client(), user: reg.User, password: reg.Password}
		opts := remote.Options{CAFiles: []string{reg.CA.File}, Username: reg.User, Password: reg.Password}
		pushAndCheck(t, res, refs, reg.Ref("team/hello:v1"), opts, c, false)
	})
}

func pushAndCheck(t *testing.T, res *build.Result, refs []image.Artifact, ref string, opts remote.Options, c regClient, api bool) {
	t.Helper()
	ctx := t.Context()
	if _, err := remote.Push(ctx, ref, res.Artifact, opts); err != nil {
		t.Fatal(err)
	}
	// Twice: a second push adds nothing.
	for range 2 {
		ds, err := remote.PushReferrers(ctx, ref, refs, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != len(refs) {
			t.Fatalf("pushed %d referrers, want %d", len(ds), len(refs))
		}
	}
	if code, _, h := c.get(t, "/v2/team/hello/manifests/v1", ocispec.MediaTypeImageIndex); code != http.StatusOK || h.Get("Docker-Content-Digest") != res.Artifact.Digest().String() {
		t.Errorf("tag v1: %d %s; want the index built, %s", code, h.Get("Docker-Content-Digest"), res.Artifact.Digest())
	}
	for i, img := range res.Images {
		var list ocispec.Index
		code, body, _ := c.get(t, "/v2/team/hello/referrers/"+img.Digest().String(), "")
		switch {
		case api && code == http.StatusOK:
		case !api && code == http.StatusNotFound:
			// No referrers API: the tag schema's index.
			tag := "sha256-" + img.Digest().Encoded()
			if code, body, _ = c.get(t, "/v2/team/hello/manifests/"+tag, ocispec.MediaTypeImageIndex); code != http.StatusOK {
				t.Fatalf("%s: no referrers API and no %s tag: %d %s", img.Platform(), tag, code, body)
			}
		default:
			t.Fatalf("%s: referrers API answers %d, want %s", img.Platform(), code, map[bool]string{true: "200", false: "404 (distribution 2.8 has none)"}[api])
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		var spdx []ocispec.Descriptor
		for _, d := range list.Manifests {
			if d.ArtifactType == sbom.MediaType {
				spdx = append(spdx, d)
			}
		}
		if len(spdx) != 1 || spdx[0].Digest != refs[i].Digest() {
			t.Fatalf("%s: SPDX referrers %+v, want exactly %s", img.Platform(), spdx, refs[i].Digest())
		}
		code, body, _ = c.get(t, "/v2/team/hello/manifests/"+spdx[0].Digest.String(), ocispec.MediaTypeImageManifest)
		var m ocispec.Manifest
		if code != http.StatusOK || json.Unmarshal(body, &m) != nil {
			t.Fatalf("referrer manifest: %d %s", code, body)
		}
		if m.Subject == nil || m.Subject.Digest != img.Digest() || m.ArtifactType != sbom.MediaType {
			t.Errorf("%s: referrer subject %+v, type %s; want the platform's manifest %s", img.Platform(), m.Subject, m.ArtifactType, img.Digest())
		}
		code, body, _ = c.get(t, "/v2/team/hello/blobs/"+m.Layers[0].Digest.String(), "")
		if code != http.StatusOK || string(body) != string(res.SBOMs[i]) {
			t.Errorf("%s: the referrer's layer is not the SBOM: %d, %d bytes", img.Platform(), code, len(body))
		}
	}
}

// regClient sends GET requests to a registry, with basic authentication
// when user is set.
type regClient struct {
	base, user, password string
	c                    *http.Client
}

func (rc regClient) get(t *testing.T, path, accept string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rc.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", strings.Join([]string{accept, ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex}, ", "))
	}
	if rc.user != "" {
		req.SetBasicAuth(rc.user, rc.password)
	}
	resp, err := rc.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body, resp.Header
}

// TestRunPushSBOM pushes with a Registry output: by default each
// platform's SBOM goes along as its referrer, naming the pushed
// reference; with SBOM.None nothing does. The index digest is the same
// either way.
func TestRunPushSBOM(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{})
	c := regClient{base: reg.URL(), c: reg.Client()}
	var digests []string
	for _, none := range []bool{false, true} {
		repo := map[bool]string{false: "team/hello", true: "team/plain"}[none]
		res, err := build.Run(t.Context(), build.Recipe{
			Package:   hello(t),
			Platforms: []image.Platform{amd64, arm64},
			Bare:      true,
			Outputs:   []build.Output{{Format: build.Registry, Path: reg.Host() + "/" + repo + ":v1", Remote: remote.Options{InsecureAllowHTTP: true}}},
			SBOM:      build.SBOMOptions{None: none},
		})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, res.Artifact.Digest().String())
		for i, img := range res.Images {
			code, body, _ := c.get(t, "/v2/"+repo+"/referrers/"+img.Digest().String(), "")
			var list ocispec.Index
			if code != http.StatusOK || json.Unmarshal(body, &list) != nil {
				t.Fatalf("referrers: %d %s", code, body)
			}
			// The provenance is a referrer too; the SBOMs are those of
			// their artifact type.
			list.Manifests = slices.DeleteFunc(list.Manifests, func(d ocispec.Descriptor) bool { return d.ArtifactType != sbom.MediaType })
			if none {
				if len(list.Manifests) != 0 {
					t.Errorf("SBOM.None: %s has referrers %+v", img.Platform(), list.Manifests)
				}
				continue
			}
			if len(list.Manifests) != 1 || list.Manifests[0].ArtifactType != sbom.MediaType {
				t.Fatalf("%s: referrers %+v, want one SPDX document", img.Platform(), list.Manifests)
			}
			doc := parseSPDX(t, res.SBOMs[i])
			if want := reg.Host() + "/team/hello (" + img.Platform().String() + ")"; doc.Name != want {
				t.Errorf("document named %q, want %q", doc.Name, want)
			}
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("the index is %s with SBOMs pushed, %s without", digests[0], digests[1])
	}
}
