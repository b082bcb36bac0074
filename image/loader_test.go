package image_test

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A Loader reads each manifest, index and config once, however many of
// its calls reach it, concurrent ones included; a descriptor that says
// another size or kind is not answered from what it kept (issue 22,
// item 14).
func TestLoaderReadsOnce(t *testing.T) {
	ctx := t.Context()
	ix := fixtureIndex(t)
	s := newMemStore()
	s.putAll(t, ix)
	ld := image.NewLoader(s)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if a, err := ld.Load(ctx, ix.Descriptor()); err != nil || a.Digest() != ix.Digest() {
				t.Errorf("Load: %v", err)
			}
			if img, err := ld.LoadImage(ctx, ix.Descriptor(), arm64); err != nil || img.Digest() != ix.Image(arm64).Digest() {
				t.Errorf("LoadImage: %v", err)
			}
		})
	}
	wg.Wait()
	a, _ := ld.Load(ctx, ix.Descriptor())
	b, _ := ld.Load(ctx, ix.Descriptor())
	if a != b {
		t.Error("two loads of one index gave two values")
	}
	// Concurrent first loads may race to read a blob; later ones must not.
	for dg := range s.fetches {
		s.fetches[dg] = 0
	}
	ld.Load(ctx, ix.Descriptor())
	ld.LoadImage(ctx, ix.Descriptor(), amd64)
	for dg, n := range s.fetches {
		if n > 0 {
			t.Errorf("blob %s fetched again %d times", dg, n)
		}
	}
	d := ix.Descriptor()
	d.Size++
	if _, err := ld.Load(ctx, d); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("a descriptor one byte longer: %v, want ErrBlobMismatch", err)
	}
	d = ix.Descriptor()
	d.MediaType = ocispec.MediaTypeImageManifest
	if _, err := ld.Load(ctx, d); !errors.Is(err, image.ErrCorrupt) {
		t.Errorf("an index listed as a manifest: %v, want ErrCorrupt", err)
	}
}

// LoadImage searches an index that is listed many times once: a platform
// it does not hold is ErrNotFound, not past MaxDescriptors (issue 22,
// item 14).
func TestLoadImageFanOut(t *testing.T) {
	ix := fixtureIndex(t)
	s := newMemStore()
	s.putAll(t, ix)
	top := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex}
	top.SchemaVersion = 2
	for range 4000 {
		top.Manifests = append(top.Manifests, ix.Descriptor())
	}
	raw, _ := json.Marshal(top)
	d := s.put(raw)
	d.MediaType = ocispec.MediaTypeImageIndex
	s390x := image.Platform{OS: "linux", Architecture: "s390x"}
	if _, err := image.LoadImage(t.Context(), s, d, s390x); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("LoadImage for %s: %v, want ErrNotFound", s390x, err)
	}
	for dg, n := range s.fetches {
		if n > 1 {
			t.Errorf("blob %s fetched %d times", dg, n)
		}
	}
}

// Verify checks an artifact given, or listed, many times once: its
// blobs are not copied or hashed again per reference (issue 22, item 14).
func TestVerifyRepeatedArtifact(t *testing.T) {
	img := fixtureImage(t, amd64).WithLabel("padding", strings.Repeat("x", 1<<20))
	s := newMemStore()
	s.putAll(t, img)
	got, err := image.Load(t.Context(), s, img.Descriptor())
	if err != nil {
		t.Fatal(err)
	}
	arts := make([]image.Artifact, 1000)
	for i := range arts {
		arts[i] = got
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := image.Verify(t.Context(), arts...)
	runtime.ReadMemStats(&after)
	if err != nil || n != len(img.Blobs()) {
		t.Errorf("Verify: %d, %v; want %d blobs", n, err, len(img.Blobs()))
	}
	// Each reference that copied the 1 MiB config allocated 1 MiB.
	if a := after.TotalAlloc - before.TotalAlloc; a > 16<<20 {
		t.Errorf("Verify allocated %d MiB, want at most 16", a>>20)
	}
}
