package image

import (
	"bytes"
	"context"
	"fmt"
	"hash"
	"io"
	"slices"

	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Artifact is what the transports (image/layout, image/tarball,
// image/remote, or one of your own) write and read: an *Image, an *Index
// or a *Manifest, and nothing else. The interface is sealed (it has an
// unexported method), so that a reader that gets an Artifact knows it is
// one of the three; its methods are all a transport needs, and Images
// gives the images whichever it is, so callers rarely need a type switch.
type Artifact interface {
	// MediaType returns the media type of RawManifest.
	MediaType() string
	// Digest returns the digest of RawManifest.
	Digest() digest.Digest
	// Descriptor returns the descriptor of RawManifest, as an index lists
	// it: with the platform of an image and the artifactType of an
	// artifact manifest.
	Descriptor() ocispec.Descriptor
	// RawManifest returns the manifest or index JSON, exactly the bytes
	// written and pushed.
	RawManifest() []byte
	// Blobs lists every blob the artifact reaches, each digest once: a
	// blob comes before any manifest or index that refers to it, and the
	// artifact's own manifest comes last.
	Blobs() []Blob
	// Images returns the images the artifact is or reaches: an image
	// itself, an index's images (see Index.Images), and none for a
	// manifest that is not an image.
	Images() []*Image

	sealed()
}

// Blob is one blob an Artifact reaches: a manifest, index or config held
// in memory, a layer, or bytes read on demand from where an artifact was
// loaded. Descriptor says what it is; Open reads it.
type Blob struct {
	// Descriptor is the blob's media type, digest and size.
	Descriptor ocispec.Descriptor

	data  []byte
	layer *layer.Layer
	fetch func(ctx context.Context) (io.ReadCloser, error)
}

// BlobFromBytes returns a blob of data, which it keeps (the caller must
// not change data afterwards), with mediaType and data's sha256 digest.
func BlobFromBytes(mediaType string, data []byte) Blob {
	return Blob{Descriptor: ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}, data: data}
}

// BlobFromLayer returns the blob of l's compressed bytes.
func BlobFromLayer(l *layer.Layer) Blob {
	return Blob{Descriptor: l.Descriptor(), layer: l}
}

// blobFromFetcher returns a blob that f opens; every read is checked
// against d.
func blobFromFetcher(f Fetcher, d ocispec.Descriptor) Blob {
	d = ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
	return Blob{Descriptor: d, fetch: func(ctx context.Context) (io.ReadCloser, error) {
		rc, err := f.Fetch(ctx, d)
		if err != nil {
			return nil, err
		}
		return newVerifier(rc, d), nil
	}}
}

// Open returns a reader of the blob's bytes. The bytes of a layer or of a
// blob read on demand are checked as they are read: a blob that does not
// match its descriptor fails at its end with layer.ErrDigestMismatch. The
// caller must close the reader.
func (b Blob) Open(ctx context.Context) (io.ReadCloser, error) {
	switch {
	case b.layer != nil:
		return b.layer.Compressed(ctx)
	case b.fetch != nil:
		return b.fetch(ctx)
	}
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// Bytes returns a copy of the bytes of a blob held in memory (a manifest,
// index or config), or nil for a layer or a blob read on demand.
func (b Blob) Bytes() []byte { return slices.Clone(b.data) }

// Layer returns the layer of a layer blob, or nil. Transports use it to
// learn a layer's diffID or uncompressed size.
func (b Blob) Layer() *layer.Layer { return b.layer }

// Fetcher opens blobs by descriptor: a layout directory, a tarball or a
// registry. The reader may return bytes that do not match d; Load and the
// values it returns check every blob they read. oras-go's content.Fetcher
// has this method.
type Fetcher interface {
	Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error)
}

// Verify reads every blob that arts reach, each distinct digest once, and
// checks it against its digest and size; a layer's tar stream is checked
// against its diffID too. It returns the number of distinct blobs checked
// (manifests, indexes and configs included); the first mismatch is an
// error naming the blob that wraps layer.ErrDigestMismatch.
func Verify(ctx context.Context, arts ...Artifact) (int, error) {
	seen := map[digest.Digest]bool{}
	done := map[digest.Digest]bool{} // artifacts checked
	for _, a := range arts {
		// An artifact given again reaches no blob it did not: skip it
		// before Blobs, which copies its manifest and config.
		if done[a.Digest()] {
			continue
		}
		done[a.Digest()] = true
		for _, b := range a.Blobs() {
			if seen[b.Descriptor.Digest] {
				continue
			}
			seen[b.Descriptor.Digest] = true
			if err := drain(ctx, b.Open); err != nil {
				return 0, fmt.Errorf("image: verify blob %s: %w", b.Descriptor.Digest, err)
			}
			if l := b.Layer(); l != nil {
				if err := drain(ctx, l.Uncompressed); err != nil {
					return 0, fmt.Errorf("image: verify layer %s: %w", b.Descriptor.Digest, err)
				}
			} else if b.data != nil && !verifies(b.Descriptor.Digest, b.data) {
				return 0, fmt.Errorf("image: verify blob %s: %w", b.Descriptor.Digest, layer.ErrDigestMismatch)
			}
		}
	}
	return len(seen), nil
}

func drain(ctx context.Context, open func(context.Context) (io.ReadCloser, error)) error {
	rc, err := open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := rc.Read(buf); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func verifies(d digest.Digest, data []byte) bool {
	if !d.Algorithm().Available() {
		return false
	}
	v := d.Verifier()
	v.Write(data)
	return v.Verified()
}

// verifier checks, at EOF, that what was read matches d's size and digest.
type verifier struct {
	rc   io.ReadCloser
	d    ocispec.Descriptor
	h    hash.Hash
	n    int64
	done bool
}

func newVerifier(rc io.ReadCloser, d ocispec.Descriptor) io.ReadCloser {
	v := &verifier{rc: rc, d: d}
	if d.Digest.Algorithm().Available() {
		v.h = d.Digest.Algorithm().Hash()
	}
	return v
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.h == nil {
		return 0, fmt.Errorf("blob %s: %w: unsupported digest algorithm", v.d.Digest, layer.ErrDigestMismatch)
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.d.Size {
		return n, fmt.Errorf("blob %s: %w: longer than its %d bytes", v.d.Digest, layer.ErrDigestMismatch, v.d.Size)
	}
	if err == io.EOF && !v.done {
		v.done = true
		if v.n != v.d.Size {
			return n, fmt.Errorf("blob %s: %w: %d bytes, want %d", v.d.Digest, layer.ErrDigestMismatch, v.n, v.d.Size)
		}
		if got := digest.NewDigest(v.d.Digest.Algorithm(), v.h); got != v.d.Digest {
			return n, fmt.Errorf("blob %s: %w: its bytes hash to %s", v.d.Digest, layer.ErrDigestMismatch, got)
		}
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

// Source is what every reader of stored images offers: *layout.Layout,
// *tarball.Tarball and *remote.Source implement it, so that code which
// takes a base or inspects images need not care where they are stored.
// Checking every blob is image.Verify over what Artifact returns; the
// readers on disk have a Verify of their own that covers every entry.
type Source interface {
	// Tags returns the names of the source's entries.
	Tags() []string
	// Artifact returns the entry tagged tag, as stored; an empty tag
	// takes the only entry.
	Artifact(ctx context.Context, tag string) (Artifact, error)
	// Image returns the image tagged tag for platform p, as stored; no
	// image for p is a *PlatformError.
	Image(ctx context.Context, tag string, p Platform) (*Image, error)
	// Images returns every image the entries tagged tag reach; an empty
	// tag takes every entry.
	Images(ctx context.Context, tag string) ([]*Image, error)
}
