package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/ref"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker's media types, as docker save, registries and ggcr write them.
const (
	dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	dockerConfig   = "application/vnd.docker.container.image.v1+json"
	dockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// storedBase is a base on disk and what it stores: the manifest digest in
// its index.json ("" for a docker archive, which has none) and its
// layers' digests as its manifest or manifest.json lists them.
type storedBase struct {
	ref    string
	digest string
	layers []string
}

// TestBuildOnBase builds on a base read from a tarball and from a layout
// whose manifest has Docker media types, and from a docker archive, to a
// layout and to a tarball (issue 11, bugs 1 and 2). The base's layers come
// first and unchanged, and org.opencontainers.image.base.digest is the
// base manifest's digest as stored.
func TestBuildOnBase(t *testing.T) {
	t.Parallel()
	baseImg := imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: runtime.GOARCH},
		imagetest.Layer{"/etc/os-release": "ID=fixture\n", "/bin/": ""},
		imagetest.Layer{"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"},
	)
	ociTar := imagetest.WriteTarball(t, baseImg, "fixture:v1")
	dockerDir := dockerTyped(t, imagetest.WriteLayout(t, baseImg, "v1"))
	dockerTar := tarDir(t, dockerDir)
	archive := dockerArchive(t, ociTar)

	bases := map[string]storedBase{
		"oci tarball":         {ref: ociTar + ":fixture:v1", digest: indexDigest(t, ociTar), layers: manifestLayers(t, ociTar, indexDigest(t, ociTar))},
		"docker-typed layout": {ref: dockerDir + ":v1", digest: indexDigest(t, dockerDir), layers: manifestLayers(t, dockerDir, indexDigest(t, dockerDir))},
		"docker-typed tar":    {ref: dockerTar + ":v1", digest: indexDigest(t, dockerTar), layers: manifestLayers(t, dockerTar, indexDigest(t, dockerTar))},
		"docker archive":      {ref: archive, layers: archiveLayers(t, archive)},
	}
	if skopeo, err := exec.LookPath("skopeo"); err == nil {
		p := filepath.Join(t.TempDir(), "skopeo.tar")
		if out, err := exec.Command(skopeo, "copy", "--quiet", "oci-archive:"+ociTar+":v1", "docker-archive:"+p+":fixture:v1").CombinedOutput(); err != nil {
			t.Errorf("skopeo copy to docker-archive: %v\n%s", err, out)
		} else {
			bases["skopeo docker-archive"] = storedBase{ref: p, layers: archiveLayers(t, p)}
		}
	}
	bin := helloBinary(t)
	for name, b := range bases {
		if len(b.layers) != 2 {
			t.Fatalf("%s: the base lists %d layers, want 2", name, len(b.layers))
		}
		for _, out := range []string{"layout", "out.tar"} {
			t.Run(name+" to "+out, func(t *testing.T) {
				dst := filepath.Join(t.TempDir(), out)
				mustBuild(t, "--base", b.ref, "-o", dst, bin)
				lay, err := ref.OpenLocal(dst)
				if err != nil {
					t.Fatal(err)
				}
				img, err := lay.Image(t.Context(), "", image.Platform{})
				if err != nil {
					t.Fatal(err)
				}
				got := img.Layers()
				if len(got) < len(b.layers)+2 {
					t.Fatalf("%d layers; want the base's %d, the CA bundle and the binary", len(got), len(b.layers))
				}
				for i, d := range b.layers {
					if got[i].Digest().String() != d {
						t.Errorf("layer %d is %s; the base stores %s", i, got[i].Digest(), d)
					}
				}
				a := img.Annotations()
				if b.digest != "" && a[ocispec.AnnotationBaseImageDigest] != b.digest {
					t.Errorf("%s is %s; the base's index.json stores %s", ocispec.AnnotationBaseImageDigest, a[ocispec.AnnotationBaseImageDigest], b.digest)
				}
				if _, err := lay.Verify(t.Context()); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// dockerTyped rewrites the layout's one image with Docker's media types
// (manifest, config and layers), as a layout copied from a registry
// holds it, and returns the layout's directory.
func dockerTyped(t *testing.T, dir string) string {
	t.Helper()
	var ix ocispec.Index
	readJSON(t, filepath.Join(dir, "index.json"), &ix)
	var m map[string]any
	readJSON(t, blobPath(dir, ix.Manifests[0].Digest.String()), &m)
	m["mediaType"] = dockerManifest
	m["config"].(map[string]any)["mediaType"] = dockerConfig
	for _, l := range m["layers"].([]any) {
		l.(map[string]any)["mediaType"] = dockerLayer
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	d := "sha256:" + hex.EncodeToString(sum[:])
	if err := os.WriteFile(blobPath(dir, d), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	ix.Manifests[0].MediaType = dockerManifest
	ix.Manifests[0].Digest = digest.Digest(d)
	ix.Manifests[0].Size = int64(len(raw))
	writeJSON(t, filepath.Join(dir, "index.json"), ix)
	return dir
}

// tarDir packs a layout directory into a tar file, as oci-archive: is.
func tarDir(t *testing.T, dir string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	p := filepath.Join(t.TempDir(), "docker-typed.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dockerArchive returns a copy of a minimage tarball without index.json
// and oci-layout: a docker archive, as skopeo's docker-archive: writes.
func dockerArchive(t *testing.T, tarball string) string {
	t.Helper()
	data, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "index.json" || h.Name == "oci-layout" {
			continue
		}
		tw.WriteHeader(h)
		io.Copy(tw, tr)
	}
	tw.Close()
	p := filepath.Join(t.TempDir(), "docker-archive.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// indexDigest returns the digest of the one manifest a layout directory's
// or tarball's index.json lists, as stored.
func indexDigest(t *testing.T, path string) string {
	t.Helper()
	var ix ocispec.Index
	json.Unmarshal(storedFile(t, path, "index.json"), &ix)
	if len(ix.Manifests) != 1 {
		t.Fatalf("%s: index.json lists %d manifests", path, len(ix.Manifests))
	}
	return ix.Manifests[0].Digest.String()
}

// manifestLayers returns the layer digests the stored manifest d lists.
func manifestLayers(t *testing.T, path, d string) []string {
	t.Helper()
	var m ocispec.Manifest
	if err := json.Unmarshal(storedFile(t, path, "blobs/sha256/"+strings.TrimPrefix(d, "sha256:")), &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range m.Layers {
		out = append(out, l.Digest.String())
	}
	return out
}

// archiveLayers returns the digests of the layer files a docker
// archive's manifest.json lists: the files' sha256, as readers take them.
func archiveLayers(t *testing.T, path string) []string {
	t.Helper()
	var entries []struct{ Layers []string }
	if err := json.Unmarshal(storedFile(t, path, "manifest.json"), &entries); err != nil || len(entries) != 1 {
		t.Fatalf("%s: manifest.json: %v", path, err)
	}
	var out []string
	for _, name := range entries[0].Layers {
		sum := sha256.Sum256(storedFile(t, path, name))
		out = append(out, "sha256:"+hex.EncodeToString(sum[:]))
	}
	return out
}

// storedFile returns the file name of a layout directory or a tarball.
func storedFile(t *testing.T, path, name string) []byte {
	t.Helper()
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		data, err := os.ReadFile(filepath.Join(path, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no %s: %v", path, name, err)
		}
		if h.Name == name {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
}

func blobPath(dir, d string) string {
	return filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:"))
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, p string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
