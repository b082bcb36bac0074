package layout_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// An index written and read back is the same index: a release script can
// re-tag or annotate it (issue 11, bug 5).
func TestIndexReadBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix := imagetest.FixtureIndex(t).WithAnnotation(ocispec.AnnotationVersion, "1.2.3")
	writeLayout(t, dir, ix, "v1")
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Index(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != ix.Digest() || got.Annotations()[ocispec.AnnotationVersion] != "1.2.3" {
		t.Fatalf("read back %s %v, wrote %s", got.Digest(), got.Annotations(), ix.Digest())
	}
	// Re-tag: the same digest under a second tag.
	writeLayout(t, dir, got, "latest")
	l, _ = layout.Read(dir)
	for _, tag := range []string{"v1", "latest"} {
		again, err := l.Index(ctx, tag)
		if err != nil || again.Digest() != ix.Digest() {
			t.Errorf("%s: %v", tag, err)
		}
	}
	if _, err := l.Index(ctx, "nope"); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("missing tag: %v", err)
	}
	writeLayout(t, dir, imagetest.Fixture(t, amd64), "single")
	l, _ = layout.Read(dir)
	if _, err := l.Index(ctx, "single"); !errors.Is(err, image.ErrNotFound) || !strings.Contains(err.Error(), "not an index") {
		t.Errorf("an image asked for as an index: %v", err)
	}
}

// Verify counts every distinct blob, the index's included (issue 11,
// bug 6): as many as the files in blobs/sha256.
func TestVerifyCountsEveryBlob(t *testing.T) {
	dir := t.TempDir()
	writeLayout(t, dir, imagetest.FixtureIndex(t), "v1")
	writeLayout(t, dir, imagetest.Fixture(t, amd64), "single")
	ents, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := layout.Read(dir)
	n, err := l.Verify(context.Background())
	if err != nil || n != len(ents) {
		t.Errorf("Verify: %d, %v; blobs/sha256 holds %d files", n, err, len(ents))
	}
}

// A blob of the wrong size is refused before it is hashed (issue 17,
// item 13): a sparse file claiming 1 TiB is rejected at once.
func TestWrongSizeBlobNotHashed(t *testing.T) {
	dir := t.TempDir()
	img := imagetest.Fixture(t, amd64)
	writeLayout(t, dir, img, "a")
	p := blobFile(dir, img)
	if err := os.Truncate(p, 1<<40); err != nil {
		t.Skip("no sparse files here:", err)
	}
	start := time.Now()
	err := layout.Write(context.Background(), dir, img, layout.Options{Tags: []string{"b"}})
	if !errors.Is(err, layer.ErrDigestMismatch) || !strings.Contains(err.Error(), p) {
		t.Errorf("err %v, want layer.ErrDigestMismatch naming %s", err, p)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
}

// A buildx-style index, an image and an in-toto attestation manifest
// (an image config, a layer that is no tar), reads, lists and verifies
// (issue 17, item 6).
func TestAttestationIndex(t *testing.T) {
	ctx := context.Background()
	img := imagetest.Fixture(t, amd64)
	statement := image.BlobFromBytes("application/vnd.in-toto+json", []byte(`{"_type":"https://in-toto.io/Statement/v0.1"}`))
	cfg := image.BlobFromBytes(ocispec.MediaTypeImageConfig, []byte(`{"architecture":"unknown","os":"unknown","rootfs":{"type":"layers","diff_ids":[]}}`))
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cfg.Descriptor, Layers: []ocispec.Descriptor{statement.Descriptor}}
	m.SchemaVersion = 2
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// Store the attestation's blobs and manifest as buildx pushes them.
	dir := t.TempDir()
	writeLayout(t, dir, img, "tmp")
	for _, b := range []image.Blob{statement, cfg, image.BlobFromBytes(ocispec.MediaTypeImageManifest, raw)} {
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", b.Descriptor.Digest.Encoded()), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	att := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(raw), Size: int64(len(raw)),
		Platform:    &ocispec.Platform{OS: "unknown", Architecture: "unknown"},
		Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": img.Digest().String()}}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{img.Descriptor(), att}}
	idx.SchemaVersion = 2
	rawIdx, _ := json.Marshal(idx)
	os.WriteFile(filepath.Join(dir, "blobs", "sha256", digest.FromBytes(rawIdx).Encoded()), rawIdx, 0o644)
	top := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(rawIdx), Size: int64(len(rawIdx)), Annotations: map[string]string{ocispec.AnnotationRefName: "v1"}}}}
	top.SchemaVersion = 2
	rawTop, _ := json.Marshal(top)
	os.WriteFile(filepath.Join(dir, "index.json"), rawTop, 0o644)

	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := l.Index(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Images()) != 1 || len(ix.Manifests()) != 2 {
		t.Errorf("%d images, %d manifests", len(ix.Images()), len(ix.Manifests()))
	}
	if a, ok := ix.Manifests()[1].(*image.Manifest); !ok || a.ArtifactType() != ocispec.MediaTypeImageConfig {
		t.Errorf("attestation read as %T", ix.Manifests()[1])
	}
	if got, err := l.Image(ctx, "v1", amd64); err != nil || got.Digest() != img.Digest() {
		t.Errorf("image: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if n, err := l.Verify(ctx); err != nil || n != len(ents) {
		t.Errorf("verify: %d, %v; %d blobs on disk", n, err, len(ents))
	}
	// A damaged statement is found.
	os.WriteFile(filepath.Join(dir, "blobs", "sha256", statement.Descriptor.Digest.Encoded()), []byte(`{"_type":"https://in-toto.io/Statement/v0.2"}`), 0o644)
	if _, err := l.Verify(ctx); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("damaged attestation: %v", err)
	}
}
