package registrytest

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/mediatype"
)

// Preload stores a (an image, an index with its images, or any other
// artifact) in repository repo of the registry, tagged with tags, as if
// it had been pushed, and returns its reference by digest:
// HOST/REPO@DIGEST. It bypasses authentication, read-only mode, faults
// and the log, so a test can set up a registry before the code under
// test talks to it. It ends the test on an error.
func (r *Registry) Preload(t testing.TB, repo string, a image.Artifact, tags ...string) string {
	t.Helper()
	ref, err := r.Put(t.Context(), repo, a, tags...)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// Put is Preload for use outside a test: it returns the error instead.
func (r *Registry) Put(ctx context.Context, repo string, a image.Artifact, tags ...string) (string, error) {
	for _, b := range a.Blobs() {
		d := b.Descriptor
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if isManifest(d.MediaType) {
			raw, err := readBlob(ctx, b)
			if err != nil {
				return "", fmt.Errorf("registrytest: preload %s: manifest %s: %w", repo, d.Digest, err)
			}
			var t []string
			if d.Digest == a.Digest() {
				t = tags
			}
			if err := r.reg.PutManifest(repo, d.Digest, d.MediaType, raw, t...); err != nil {
				return "", fmt.Errorf("registrytest: preload %s: %w", repo, err)
			}
			continue
		}
		rc, err := b.Open(ctx)
		if err != nil {
			return "", fmt.Errorf("registrytest: preload %s: blob %s: %w", repo, d.Digest, err)
		}
		err = r.reg.PutBlob(repo, d.Digest, rc)
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("registrytest: preload %s: %w", repo, err)
		}
	}
	// Blobs lists the artifact's own manifest last; this also tags an
	// artifact whose Blobs left it out.
	if err := r.reg.PutManifest(repo, a.Digest(), a.MediaType(), a.RawManifest(), tags...); err != nil {
		return "", fmt.Errorf("registrytest: preload %s: %w", repo, err)
	}
	return r.Host() + "/" + repo + "@" + a.Digest().String(), nil
}

// isManifest reports whether mt is the media type of a manifest or index,
// which the registry stores as a manifest rather than a blob.
func isManifest(mt string) bool { return mediatype.IsManifest(mt) || mediatype.IsIndex(mt) }

func readBlob(ctx context.Context, b image.Blob) ([]byte, error) {
	if raw := b.Bytes(); raw != nil {
		return raw, nil
	}
	rc, err := b.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
