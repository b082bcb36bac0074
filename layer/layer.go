package layer

import (
	"crypto/sha256"
	_ "crypto/sha512" // digests of sha512 blobs
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layer is one built layer: an immutable value that knows its media type,
// digest, diffID and size, and can open its bytes any number of times. It
// is safe for concurrent use.
type Layer struct {
	mediaType string
	digest    digest.Digest
	diffID    digest.Digest
	size      int64
	tarSize   int64 // -1 when unknown
	open      func() (io.ReadCloser, error)
	verify    bool // check digest and size on every read
}

// FromBlob returns a Layer whose compressed bytes already exist elsewhere,
// such as a blob of an OCI layout: desc gives the media type, digest and
// size, diffID the digest of the uncompressed tar, and open opens the
// bytes. Every reader returned by Compressed checks the size and digest and
// fails with ErrDigestMismatch at the end of a blob that does not match;
// Uncompressed checks the diffID likewise.
func FromBlob(desc ocispec.Descriptor, diffID digest.Digest, open func() (io.ReadCloser, error)) (*Layer, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("layer: from blob: digest %q: %w", desc.Digest, err)
	}
	if err := diffID.Validate(); err != nil {
		return nil, fmt.Errorf("layer: from blob %s: diffID %q: %w", desc.Digest, diffID, err)
	}
	if desc.Size < 0 {
		return nil, fmt.Errorf("layer: from blob %s: negative size %d", desc.Digest, desc.Size)
	}
	if _, err := decompressor(desc.MediaType); err != nil {
		return nil, fmt.Errorf("layer: from blob %s: %w", desc.Digest, err)
	}
	if open == nil {
		return nil, fmt.Errorf("layer: from blob %s: open is nil", desc.Digest)
	}
	return &Layer{mediaType: desc.MediaType, digest: desc.Digest, diffID: diffID, size: desc.Size, tarSize: -1, open: open, verify: true}, nil
}

// MediaType returns the layer's OCI (or, for a layer read from a Docker
// image, Docker) media type.
func (l *Layer) MediaType() string { return l.mediaType }

// Digest returns the sha256 digest of the compressed bytes.
func (l *Layer) Digest() digest.Digest { return l.digest }

// DiffID returns the sha256 digest of the uncompressed tar stream, as the
// image config's rootfs lists it.
func (l *Layer) DiffID() digest.Digest { return l.diffID }

// Size returns the length of the compressed bytes.
func (l *Layer) Size() int64 { return l.size }

// TarSize returns the length of the uncompressed tar stream, or -1 when it
// is not known (a layer made by FromBlob).
func (l *Layer) TarSize() int64 { return l.tarSize }

// Descriptor returns the layer's OCI descriptor.
func (l *Layer) Descriptor() ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: l.mediaType, Digest: l.digest, Size: l.size}
}

// Compressed opens the layer's bytes as they go into a blob. The caller
// must close the reader.
func (l *Layer) Compressed() (io.ReadCloser, error) {
	rc, err := l.open()
	if err != nil {
		return nil, fmt.Errorf("layer: open %s: %w", l.digest, err)
	}
	if !l.verify {
		return rc, nil
	}
	return &verifier{rc: rc, h: newHash(l.digest), want: l.digest, size: l.size, what: "blob"}, nil
}

// Uncompressed opens the layer's tar stream. The caller must close the
// reader.
func (l *Layer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	dec, err := decompressor(l.mediaType)
	if err != nil {
		rc.Close()
		return nil, err
	}
	tr, err := dec(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("layer: open %s: %w", l.digest, err)
	}
	v := &verifier{rc: tr, h: newHash(l.diffID), want: l.diffID, size: l.tarSize, what: "uncompressed layer"}
	return &stackCloser{Reader: v, closers: []io.Closer{v, rc}}, nil
}

type stackCloser struct {
	io.Reader
	closers []io.Closer
}

func (s *stackCloser) Close() error {
	var first error
	for _, c := range s.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// decompressor returns the function that opens a reader of the tar stream
// for a media type.
func decompressor(mediaType string) (func(io.Reader) (io.ReadCloser, error), error) {
	switch mediaType {
	case ocispec.MediaTypeImageLayerGzip, MediaTypeDockerLayer, ocispec.MediaTypeImageLayerNonDistributableGzip: //nolint:staticcheck
		return func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }, nil
	case ocispec.MediaTypeImageLayerZstd, MediaTypeDockerLayerZstd, ocispec.MediaTypeImageLayerNonDistributableZstd: //nolint:staticcheck
		return func(r io.Reader) (io.ReadCloser, error) {
			d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return nil, err
			}
			return d.IOReadCloser(), nil
		}, nil
	case ocispec.MediaTypeImageLayer, MediaTypeDockerLayerTar, ocispec.MediaTypeImageLayerNonDistributable: //nolint:staticcheck
		return func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(r), nil }, nil
	}
	return nil, fmt.Errorf("layer: unsupported layer media type %q", mediaType)
}

// Docker's layer media types, accepted when reading images that use them.
const (
	MediaTypeDockerLayer     = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd"
	MediaTypeDockerLayerTar  = "application/vnd.docker.image.rootfs.diff.tar"
)

// verifier checks, at EOF, that what was read has the wanted digest and,
// when size >= 0, the wanted length.
type verifier struct {
	rc   io.ReadCloser
	h    hash.Hash
	n    int64
	size int64
	want digest.Digest
	what string
	done bool
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		return n, fmt.Errorf("layer: %s %s: %w: longer than its %d bytes", v.what, v.want, ErrDigestMismatch, v.size)
	}
	if err == io.EOF && !v.done {
		v.done = true
		if v.size >= 0 && v.n != v.size {
			return n, fmt.Errorf("layer: %s %s: %w: %d bytes, want %d", v.what, v.want, ErrDigestMismatch, v.n, v.size)
		}
		if got := digest.NewDigest(v.want.Algorithm(), v.h); got != v.want {
			return n, fmt.Errorf("layer: %s %s: %w: its bytes hash to %s", v.what, v.want, ErrDigestMismatch, got)
		}
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

func newHash(d digest.Digest) hash.Hash {
	if a := d.Algorithm(); a.Available() {
		return a.Hash()
	}
	return sha256.New()
}
