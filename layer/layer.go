package layer

import (
	"context"
	"crypto/sha256"
	_ "crypto/sha512" // digests of sha512 blobs
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layer is one built layer: an immutable value that knows its media type,
// digest, diffID and size, and can open its bytes any number of times. It
// is safe for concurrent use.
//
// Lifetime: a Layer's bytes stay readable for as long as the Layer value is
// reachable, with no Close to call and no order to keep, until Release is
// called on it. A layer from Build holds its compressed blob in memory or,
// past Options.SpillThreshold, in an unlinked temporary file that is closed
// when the Layer is released or garbage collected. A layer from FromBlob
// opens its source on every read, so that source must stay readable while
// the Layer is used. Release frees the bytes now: later opens fail with
// ErrReleased, while readers already open read on until they are closed. A
// layer kept by more than one owner (a cache, say) should hand each owner a
// Share, so that one owner's Release leaves the others' bytes alone.
type Layer struct {
	mediaType string
	digest    digest.Digest
	diffID    digest.Digest
	size      int64
	tarSize   int64 // -1 when unknown
	verify    bool  // check digest and size on every read

	mu  sync.Mutex
	src source // nil once released
}

// source is where a Layer's compressed bytes are kept.
type source interface {
	// open opens the bytes; it fails with ErrReleased once the storage
	// is freed.
	open(ctx context.Context) (io.ReadCloser, error)
	// share returns a handle on the same bytes that is released on its
	// own, or false if the storage is already freed.
	share() (source, bool)
	// release gives up this handle; the storage is freed when no handle
	// or open reader is left.
	release()
}

// FromBlob returns a Layer whose compressed bytes already exist elsewhere,
// such as a blob of an OCI layout: desc gives the media type, digest and
// size, diffID the digest of the uncompressed tar, and open opens the
// bytes, with the context of the Compressed or Uncompressed call. The media
// type is kept as given (a Docker type stays a Docker type; see
// OCIMediaType) and must be one ParseMediaType knows. Every reader returned
// by Compressed checks the size and digest and fails with ErrDigestMismatch
// at the end of a blob that does not match; Uncompressed checks the diffID
// likewise.
func FromBlob(desc ocispec.Descriptor, diffID digest.Digest, open func(ctx context.Context) (io.ReadCloser, error)) (*Layer, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("layer: from blob: digest %q: %w", desc.Digest, err)
	}
	if err := diffID.Validate(); err != nil {
		return nil, fmt.Errorf("layer: from blob %s: diffID %q: %w", desc.Digest, diffID, err)
	}
	if desc.Size < 0 {
		return nil, fmt.Errorf("layer: from blob %s: negative size %d", desc.Digest, desc.Size)
	}
	if _, ok := ParseMediaType(desc.MediaType); !ok {
		return nil, fmt.Errorf("layer: from blob %s: unsupported layer media type %q; a layer is a tar, gzip or zstd tar stream", desc.Digest, desc.MediaType)
	}
	if open == nil {
		return nil, fmt.Errorf("layer: from blob %s: open is nil", desc.Digest)
	}
	return &Layer{mediaType: desc.MediaType, digest: desc.Digest, diffID: diffID, size: desc.Size, tarSize: -1, src: openerSource(open), verify: true}, nil
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

// Compressed opens the layer's bytes as they go into a blob. The reader
// fails with ctx's error once ctx is done; the caller must close it. After
// Release it fails with ErrReleased.
func (l *Layer) Compressed(ctx context.Context) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("layer: open %s: %w", l.digest, err)
	}
	l.mu.Lock()
	src := l.src
	l.mu.Unlock()
	if src == nil {
		return nil, fmt.Errorf("layer: open %s: %w; keep the Layer, or a Share of it, until its last read", l.digest, ErrReleased)
	}
	rc, err := src.open(ctx)
	if err != nil {
		if errors.Is(err, ErrReleased) {
			err = fmt.Errorf("%w; keep the Layer, or a Share of it, until its last read", err)
		}
		return nil, fmt.Errorf("layer: open %s: %w", l.digest, err)
	}
	if l.verify {
		rc = &verifier{rc: rc, h: newHash(l.digest), want: l.digest, size: l.size, what: "blob"}
	}
	return &ctxReadCloser{ctx: ctx, rc: rc}, nil
}

// Uncompressed opens the layer's tar stream. The reader fails with ctx's
// error once ctx is done; the caller must close it. After Release it fails
// with ErrReleased.
func (l *Layer) Uncompressed(ctx context.Context) (io.ReadCloser, error) {
	rc, err := l.Compressed(ctx)
	if err != nil {
		return nil, err
	}
	c, _ := ParseMediaType(l.mediaType) // checked when the layer was made
	tr, err := newDecompressor(c, rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("layer: open %s: %w", l.digest, err)
	}
	v := &verifier{rc: tr, h: newHash(l.diffID), want: l.diffID, size: l.tarSize, what: "uncompressed layer"}
	return &stackCloser{Reader: ctxReader{ctx, v}, closers: []io.Closer{v, rc}}, nil
}

// Release frees the layer's bytes now: a spill file is closed and its disk
// space returned (once readers already open are closed), bytes held in
// memory are dropped from this Layer. Later calls of Compressed and
// Uncompressed fail with ErrReleased; the digest, diffID, size and
// descriptor stay. Releasing twice is fine. Other Layers made by Share keep
// their bytes. The error is always nil; it is there for io.Closer-like use.
func (l *Layer) Release() error {
	l.mu.Lock()
	src := l.src
	l.src = nil
	l.mu.Unlock()
	if src != nil {
		src.release()
	}
	return nil
}

// Share returns a new Layer with the same bytes and metadata, whose Release
// is its own: the bytes are freed once every Layer sharing them is released
// (or garbage collected). Sharing copies no bytes. Share of a released Layer
// returns a released Layer.
func (l *Layer) Share() *Layer {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &Layer{mediaType: l.mediaType, digest: l.digest, diffID: l.diffID, size: l.size, tarSize: l.tarSize, verify: l.verify}
	if l.src != nil {
		if s, ok := l.src.share(); ok {
			c.src = s
		}
	}
	return c
}

// ctxReader fails with ctx's error once ctx is done, checking it before
// every read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

type ctxReadCloser struct {
	ctx context.Context
	rc  io.ReadCloser
}

func (r *ctxReadCloser) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.rc.Read(p)
}

func (r *ctxReadCloser) Close() error { return r.rc.Close() }

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

// newDecompressor returns a reader of the tar stream that r holds compressed
// with c.
func newDecompressor(c Compression, r io.Reader) (io.ReadCloser, error) {
	switch c {
	case Gzip:
		return gzip.NewReader(r)
	case Zstd:
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return io.NopCloser(r), nil
}

// openerSource is the source of a FromBlob layer: its opener.
type openerSource func(ctx context.Context) (io.ReadCloser, error)

func (o openerSource) open(ctx context.Context) (io.ReadCloser, error) { return o(ctx) }
func (o openerSource) share() (source, bool)                           { return o, true }
func (o openerSource) release()                                        {}

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
