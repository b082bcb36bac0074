package image_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// memStore is a Fetcher over blobs in memory that counts its fetches.
type memStore struct {
	mu      sync.Mutex
	blobs   map[digest.Digest][]byte
	fetches map[digest.Digest]int
}

func newMemStore() *memStore {
	return &memStore{blobs: map[digest.Digest][]byte{}, fetches: map[digest.Digest]int{}}
}

func (s *memStore) put(data []byte) ocispec.Descriptor {
	d := digest.FromBytes(data)
	s.blobs[d] = data
	return ocispec.Descriptor{Digest: d, Size: int64(len(data))}
}

// putAll stores every blob of a, as a transport would.
func (s *memStore) putAll(t *testing.T, a image.Artifact) {
	for _, b := range a.Blobs() {
		rc, err := b.Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		s.put(data)
	}
}

func (s *memStore) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches[d.Digest]++
	data, ok := s.blobs[d.Digest]
	if !ok {
		return nil, errors.New("no such blob")
	}
	return io.NopCloser(strings.NewReader(string(data))), nil
}

// dockerTyped returns img as docker save or a registry holds it: Docker
// manifest, config and layer media types, the same layer bytes.
func dockerTyped(t *testing.T, img *image.Image) *image.Image {
	t.Helper()
	m := img.Manifest()
	m.MediaType = mediatype.DockerManifest
	m.Config.MediaType = mediatype.DockerConfig
	var layers []*layer.Layer
	for i, l := range img.Layers() {
		m.Layers[i].MediaType = mediatype.DockerLayerTar
		d := l.Descriptor()
		d.MediaType = mediatype.DockerLayerTar
		dl, err := layer.FromBlob(d, l.DiffID(), l.Compressed)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, dl)
	}
	m.Annotations = nil
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := image.FromManifest(raw, img.RawConfig(), layers)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A value read keeps its stored bytes, Docker media types included, and
// FromBase records the digest that exists in the store (issue 11, bug 2).
func TestLoadKeepsStoredBytes(t *testing.T) {
	ctx := context.Background()
	orig := dockerTyped(t, fixtureImage(t, amd64))
	if orig.MediaType() != mediatype.DockerManifest {
		t.Fatalf("media type %s", orig.MediaType())
	}
	s := newMemStore()
	s.putAll(t, orig)
	got, err := image.LoadImage(ctx, s, orig.Descriptor(), amd64)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != orig.Digest() || string(got.RawManifest()) != string(orig.RawManifest()) || got.ConfigDigest() != orig.ConfigDigest() {
		t.Fatalf("read back %s, stored %s", got.Digest(), orig.Digest())
	}
	if got.ConfigDescriptor().MediaType != mediatype.DockerConfig || got.Descriptor().MediaType != mediatype.DockerManifest {
		t.Errorf("media types not kept: %s %s", got.Descriptor().MediaType, got.ConfigDescriptor().MediaType)
	}
	if _, ok := s.blobs[got.Digest()]; !ok {
		t.Fatal("the digest read names no stored manifest")
	}

	child := image.FromBase(got, "base:v1").Append(mkLayer(t, "app", "x"))
	m := child.Manifest()
	if m.Annotations[ocispec.AnnotationBaseImageDigest] != orig.Digest().String() {
		t.Errorf("base digest %q, want %s", m.Annotations[ocispec.AnnotationBaseImageDigest], orig.Digest())
	}
	if m.MediaType != ocispec.MediaTypeImageManifest || m.Config.MediaType != ocispec.MediaTypeImageConfig {
		t.Errorf("a changed image should be OCI: %s %s", m.MediaType, m.Config.MediaType)
	}
	for i, l := range orig.Layers() {
		if m.Layers[i].Digest != l.Digest() || m.Layers[i].MediaType != ocispec.MediaTypeImageLayer {
			t.Errorf("layer %d: %s %s, want %s with the OCI type", i, m.Layers[i].Digest, m.Layers[i].MediaType, l.Digest())
		}
	}
	if n, err := image.Verify(ctx, child); err != nil || n != len(child.Blobs()) {
		t.Errorf("verify: %d, %v", n, err)
	}
}

// An index read back keeps its annotations and digest, can be re-annotated,
// and lists artifacts (an attestation) beside its images.
func TestLoadIndex(t *testing.T) {
	ctx := context.Background()
	ix := fixtureIndex(t).WithAnnotation("org.opencontainers.image.version", "1.2.3")
	sbom := image.BlobFromBytes("application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	amd := ix.Image(amd64)
	att, err := image.NewManifest("application/spdx+json", []image.Blob{sbom}, ptr(amd.Descriptor()), nil)
	if err != nil {
		t.Fatal(err)
	}
	ix = ix.WithArtifact(att, map[string]string{"vnd.docker.reference.type": "attestation-manifest"})
	s := newMemStore()
	s.putAll(t, ix)
	a, err := image.Load(ctx, s, ix.Descriptor())
	if err != nil {
		t.Fatal(err)
	}
	got, ok := a.(*image.Index)
	if !ok {
		t.Fatalf("loaded %T", a)
	}
	if got.Digest() != ix.Digest() || got.Annotations()["org.opencontainers.image.version"] != "1.2.3" {
		t.Fatalf("index %s %v, want %s", got.Digest(), got.Annotations(), ix.Digest())
	}
	if n := len(got.Images()); n != 2 {
		t.Errorf("%d images, want 2 (the attestation is no image)", n)
	}
	ms := got.Manifests()
	gotAtt, ok := ms[len(ms)-1].(*image.Manifest)
	if !ok || gotAtt.ArtifactType() != "application/spdx+json" || gotAtt.Subject() == nil || gotAtt.Subject().Digest != amd.Digest() {
		t.Fatalf("attestation read back as %T", ms[len(ms)-1])
	}
	if got.Index().Manifests[2].Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
		t.Errorf("descriptor annotations lost: %v", got.Index().Manifests[2])
	}
	// Every stored blob is reached, and each is checked.
	if n, err := image.Verify(ctx, got); err != nil || n != len(s.blobs) {
		t.Errorf("verify: %d blobs, %v; the store holds %d", n, err, len(s.blobs))
	}
	re := got.WithAnnotation("org.opencontainers.image.version", "1.2.4")
	if re.Digest() == got.Digest() || re.Annotations()["org.opencontainers.image.version"] != "1.2.4" || len(re.Manifests()) != 3 {
		t.Errorf("re-annotated index: %s %v", re.Digest(), re.Annotations())
	}
	if re.Index().Manifests[2].Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
		t.Errorf("re-annotating dropped descriptor annotations")
	}
}

func ptr[T any](v T) *T { return &v }

// An index that lists one index many times is read once per distinct
// blob, and a budget stops fan-out (issue 17, item 1).
func TestLoadFanOut(t *testing.T) {
	ctx := context.Background()
	ix := fixtureIndex(t)
	s := newMemStore()
	s.putAll(t, ix)
	fan := func(d ocispec.Descriptor, n int) ocispec.Descriptor {
		idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex}
		idx.SchemaVersion = 2
		for range n {
			idx.Manifests = append(idx.Manifests, d)
		}
		raw, err := json.Marshal(idx)
		if err != nil {
			t.Fatal(err)
		}
		f := s.put(raw)
		f.MediaType = ocispec.MediaTypeImageIndex
		return f
	}
	// Four levels, each listing the next 1000 times: 4000 references
	// to a few distinct blobs, within MaxDescriptors.
	d := ix.Descriptor()
	for range 3 {
		d = fan(d, 1000)
	}
	start := time.Now()
	a, err := image.Load(ctx, s, d)
	if err != nil {
		t.Fatal(err)
	}
	for dg, n := range s.fetches {
		if n > 1 {
			t.Errorf("blob %s fetched %d times", dg, n)
		}
	}
	top := a.(*image.Index)
	if n := len(top.Images()); n != 2 {
		t.Errorf("%d images, want 2", n)
	}
	if n, err := image.Verify(ctx, a); err != nil || n != len(s.blobs) {
		t.Errorf("verify: %d, %v; want %d", n, err, len(s.blobs))
	}
	if top.Image(arm64) == nil {
		t.Error("no arm64 image found")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v", el)
	}
	if _, err := image.Load(ctx, s, fan(ix.Descriptor(), image.MaxDescriptors+1)); !errors.Is(err, image.ErrCorrupt) {
		t.Errorf("%d descriptors: %v, want ErrCorrupt", image.MaxDescriptors+1, err)
	}
}

func TestFromManifestChecks(t *testing.T) {
	img := fixtureImage(t, amd64)
	other := mkLayer(t, "other", "x")
	cfg := img.RawConfig()
	man := img.RawManifest()
	for _, tc := range []struct {
		name     string
		man, cfg []byte
		layers   []*layer.Layer
		want     error
	}{
		{"not JSON", []byte("{"), cfg, img.Layers(), image.ErrCorrupt},
		{"other config", man, append(cfg, ' '), img.Layers(), layer.ErrDigestMismatch},
		{"missing layer", man, cfg, img.Layers()[:1], image.ErrCorrupt},
		{"wrong layer", man, cfg, []*layer.Layer{img.Layers()[0], other}, layer.ErrDigestMismatch},
	} {
		if _, err := image.FromManifest(tc.man, tc.cfg, tc.layers); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	got, err := image.FromManifest(man, cfg, img.Layers())
	if err != nil || got.Digest() != img.Digest() {
		t.Fatalf("FromManifest of its own bytes: %v", err)
	}
}

func TestNewManifest(t *testing.T) {
	if _, err := image.NewManifest("", []image.Blob{image.BlobFromBytes("a/b", []byte("x"))}, nil, nil); err == nil {
		t.Error("no artifact type accepted")
	}
	if _, err := image.NewManifest("a/b", nil, nil, nil); err == nil {
		t.Error("no blobs accepted")
	}
	m, err := image.NewManifest("application/spdx+json", []image.Blob{image.BlobFromBytes("application/spdx+json", []byte("{}"))}, nil, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	var raw ocispec.Manifest
	if err := json.Unmarshal(m.RawManifest(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Config.MediaType != ocispec.MediaTypeEmptyJSON || raw.Config.Digest != ocispec.DescriptorEmptyJSON.Digest || raw.ArtifactType != "application/spdx+json" || raw.Annotations["k"] != "v" {
		t.Errorf("manifest %s", m.RawManifest())
	}
	if d := m.Descriptor(); d.ArtifactType != "application/spdx+json" || d.Digest != digest.FromBytes(m.RawManifest()) {
		t.Errorf("descriptor %+v", d)
	}
}
