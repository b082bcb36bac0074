package remote

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/escape"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Pull reads the artifact ref names from its registry: an image, an
// index (with every image it lists) or another manifest. A ref without
// tag or digest means the tag "latest"; one with a digest reads that
// digest, whatever the tag.
//
// Every manifest, index and config is read now and checked against its
// digest (image.Load); the value keeps the bytes as stored, so its
// digest is the registry's. Layers are read later, when their bytes
// are, from the registry again, and checked too: the registry must stay
// reachable for as long as the layers are used. A layer download cut
// part-way resumes where it stopped (Options.Retries times).
//
// With Options.Mounts set, the pulled blobs are recorded there as being
// in ref's repository, so that a Push with the same Mounts to another
// repository of the same registry mounts them instead of uploading them.
func Pull(ctx context.Context, ref string, opts Options) (image.Artifact, error) {
	ctx, cancel := withTimeout(ctx, opts)
	defer cancel()
	c, d, err := resolve(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	a, err := image.Load(ctx, &fetcher{c: c}, d)
	if err != nil {
		return nil, pullError(ctx, c, err)
	}
	remember(ctx, opts.Mounts, c, a)
	return a, nil
}

// PullImage reads the image for platform p from the image or index ref
// names, as Pull does: an index's other images are not read. A zero p
// takes the index's first image. No image for p is an image.ErrNotFound
// error that lists the platforms there are.
func PullImage(ctx context.Context, ref string, p image.Platform, opts Options) (*image.Image, error) {
	ctx, cancel := withTimeout(ctx, opts)
	defer cancel()
	c, d, err := resolve(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	img, err := image.LoadImage(ctx, &fetcher{c: c}, d, p)
	if err != nil {
		return nil, pullError(ctx, c, err)
	}
	remember(ctx, opts.Mounts, c, img)
	return img, nil
}

// resolve parses ref and asks the registry for the descriptor of the
// manifest it names.
func resolve(ctx context.Context, ref string, opts Options) (*client, ocispec.Descriptor, error) {
	r, err := parseReference(ref)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	c, err := newClient(r, opts)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	what := "resolve tag " + r.Tag
	if r.Digest != "" {
		what = "resolve " + r.Digest.String()
	}
	d, err := c.repo.Resolve(ctx, r.version())
	if err != nil {
		return nil, ocispec.Descriptor{}, c.timedOut(ctx, c.wrap(err, what), what)
	}
	if r.Digest != "" && d.Digest != r.Digest {
		return nil, ocispec.Descriptor{}, fmt.Errorf("remote: %s: %s: the registry answered with %s: %w", r.repo(), what, d.Digest, layer.ErrDigestMismatch)
	}
	if !isManifest(d.MediaType) {
		return nil, ocispec.Descriptor{}, fmt.Errorf("remote: %s: %s: media type %q is not a manifest or index that minimage reads", r.repo(), what, d.MediaType)
	}
	return c, d, nil
}

// pullError is err from image.Load, which may quote what the registry
// sent, for the pull by c.
func pullError(ctx context.Context, c *client, err error) error {
	if cause := causeOf(ctx, nil); cause != nil && !errors.Is(err, ErrTimeout) {
		return c.wrap(cause, "pull")
	}
	return &escapedError{fmt.Errorf("remote: pull %s: %w", c.ref, err)}
}

// remember records in m a's blobs as being in c's repository.
func remember(ctx context.Context, m *Mounts, c *client, a image.Artifact) {
	s := newMountScope(ctx, m, c)
	for _, b := range a.Blobs() {
		if !isManifest(b.Descriptor.MediaType) {
			s.remember(b.Descriptor.Digest, c.ref.Repository)
		}
	}
}

// fetcher is the image.Fetcher of a repository: it reads manifests and
// blobs by descriptor, resuming a download that breaks.
type fetcher struct{ c *client }

// Fetch opens the blob or manifest d describes. The bytes are not
// checked here: image.Load and layer.FromBlob check what they read. The
// read is one operation: its requests and resumptions share a retry
// budget, and Options.Timeout bounds it until Close.
func (f *fetcher) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	ctx, cancel := withTimeout(ctx, f.c.opts)
	bud := newBudget(f.c.opts)
	ctx = withBudget(ctx, bud)
	rc, err := f.c.repo.Fetch(ctx, d)
	if err != nil {
		err = f.c.timedOut(ctx, f.c.wrap(err, "fetch "+kindOf(d)+" "+short(d)), "fetch "+kindOf(d)+" "+short(d))
		cancel()
		return nil, err
	}
	return &resumeReader{ctx: ctx, cancel: cancel, bud: bud, f: f, d: d, rc: rc}, nil
}

func kindOf(d ocispec.Descriptor) string {
	if isManifest(d.MediaType) {
		return "manifest"
	}
	return "blob"
}

// resumeReader reads a download and, when the connection breaks, asks
// for the rest (an HTTP range) and goes on.
type resumeReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	bud    *budget
	f      *fetcher
	d      ocispec.Descriptor
	rc     io.ReadCloser
	off    int64
}

func (r *resumeReader) Read(p []byte) (int, error) {
	for {
		n, err := r.rc.Read(p)
		r.off += int64(n)
		if err == nil || err == io.EOF {
			return n, err
		}
		err = causeOf(r.ctx, err)
		if !isNetError(err) || isCertError(err) || r.ctx.Err() != nil {
			return n, r.f.c.wrap(err, fmt.Sprintf("fetch %s %s at byte %d", kindOf(r.d), short(r.d), r.off))
		}
		if n > 0 {
			return n, nil // the next Read meets the error again
		}
		wait, ok := r.bud.retry(err, 0, false)
		if !ok {
			return 0, r.f.c.wrap(err, fmt.Sprintf("fetch %s %s at byte %d", kindOf(r.d), short(r.d), r.off))
		}
		if err := sleep(r.ctx, wait); err != nil {
			return 0, r.f.c.wrap(err, fmt.Sprintf("fetch %s %s at byte %d", kindOf(r.d), short(r.d), r.off))
		}
		if err := r.reopen(); err != nil {
			return 0, r.f.c.wrap(err, fmt.Sprintf("fetch %s %s from byte %d", kindOf(r.d), short(r.d), r.off))
		}
	}
}

// reopen continues the download at r.off: with a range request on the
// same reader when oras-go gave one that seeks, else with a new request
// whose first r.off bytes are skipped.
func (r *resumeReader) reopen() error {
	// oras-go's reader ignores a seek to where it stands; seek one byte
	// back and read that byte again instead.
	if s, ok := r.rc.(io.Seeker); ok && r.off > 0 {
		if _, err := s.Seek(r.off-1, io.SeekStart); err == nil {
			var b [1]byte
			if _, err := io.ReadFull(r.rc, b[:]); err == nil {
				return nil
			}
		}
	}
	r.rc.Close()
	rc, err := r.f.c.repo.Fetch(r.ctx, r.d)
	if err != nil {
		return err
	}
	r.rc = rc
	if r.off == 0 {
		return nil
	}
	if s, ok := rc.(io.Seeker); ok {
		_, err = s.Seek(r.off, io.SeekStart)
	} else {
		_, err = io.CopyN(io.Discard, rc, r.off)
	}
	return err
}

func (r *resumeReader) Close() error {
	err := r.rc.Close()
	r.cancel()
	return err
}

// escapedError is err with its message escaped, for errors that may
// quote what a registry sent.
type escapedError struct{ err error }

func (e *escapedError) Error() string { return escape.String(e.err.Error()) }
func (e *escapedError) Unwrap() error { return e.err }
