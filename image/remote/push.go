package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Push uploads a to the registry and repository ref names, and tags it
// with ref's tag ("latest" when ref has neither tag nor digest) and with
// tags, more tags in the same repository ("v1", "latest"), each one
// manifest PUT and nothing else. It returns a's descriptor: the registry
// stores the bytes of a's manifest as they are, so the digest there is
// a.Digest(), for an image and for an index alike. A ref with a digest
// must name a.Digest().
//
// Push sends what the registry lacks and nothing else. When ref's tag
// already names a, it sends nothing; when the manifest is there, it only
// tags it. For an index, it asks for each child's manifest first and
// leaves out a child the repository holds, with its blobs: a registry
// holds what a manifest there refers to. For the rest, it asks for each
// blob (up to Options.Jobs at once), mounts the ones Options.Mounts knows
// in another repository of the same registry, uploads the rest, then
// puts the manifests of an index's children, then a's manifest under the
// tag. A blob whose upload fails is started again (Options.Retries
// times), skipping it if it arrived after all. Cancelling ctx stops every
// upload.
func Push(ctx context.Context, ref string, a image.Artifact, opts Options, tags ...string) (ocispec.Descriptor, error) {
	r, err := parseReference(ref)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	for _, t := range tags {
		if !tagPattern.MatchString(t) {
			return ocispec.Descriptor{}, fmt.Errorf("remote: push %s: tag %q: %w: a tag is 1 to 128 letters, digits, _ . -, not starting with . or -", ref, t, ErrInvalidReference)
		}
	}
	root := a.Descriptor()
	if r.Digest != "" && r.Digest != root.Digest {
		return ocispec.Descriptor{}, fmt.Errorf("remote: push %s: the reference names %s but the artifact is %s: %w; drop @digest, or push that artifact",
			ref, r.Digest, root.Digest, layer.ErrDigestMismatch)
	}
	c, err := newClient(r, opts)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer c.closeIdle()
	ctx, cancel := withTimeout(ctx, opts)
	defer cancel()
	p := &pusher{c: c, rep: c.rep, mounts: newMountScope(ctx, opts.Mounts, c)}
	if err := p.push(ctx, a, root); err != nil {
		return ocispec.Descriptor{}, c.timedOut(ctx, err, "push "+short(root))
	}
	if err := p.tag(ctx, a, root, tags); err != nil {
		return ocispec.Descriptor{}, c.timedOut(ctx, err, "tag "+short(root))
	}
	return root, nil
}

type pusher struct {
	c      *client
	rep    *reporter
	mounts mountScope
}

func (p *pusher) push(ctx context.Context, a image.Artifact, root ocispec.Descriptor) error {
	c := p.c
	// When the tag names a already, everything is there: a registry
	// checks, as a manifest goes in, that what it refers to is present.
	if c.ref.Tag != "" {
		d, err := c.repo.Resolve(ctx, c.ref.Tag)
		switch {
		case err == nil && d.Digest == root.Digest:
			return nil
		case err != nil && !errors.Is(err, errdef.ErrNotFound):
			return c.wrap(err, "resolve tag "+c.ref.Tag)
		}
	}
	exists, err := c.repo.Exists(ctx, root)
	if err != nil {
		return c.wrap(err, "check manifest "+short(root))
	}
	if exists && c.ref.Tag == "" {
		// Pushed by digest, and there: nothing to put.
		p.rep.send(Progress{Descriptor: root, State: Exists, Done: root.Size, Total: root.Size})
		return nil
	}
	if !exists {
		data, manifests, err := p.missing(ctx, a)
		if err != nil {
			return err
		}
		if err := p.blobs(ctx, data); err != nil {
			return err
		}
		for _, m := range manifests {
			if err := p.manifest(ctx, m.desc, m, ""); err != nil {
				return err
			}
		}
	}
	return p.manifest(ctx, root, blob{desc: root, open: rawOpener(a.RawManifest())}, c.ref.Tag)
}

// missing lists the blobs and the manifests that a reaches, a's own
// manifest aside, that the repository may lack. For an index, it asks
// for each child's manifest first (Jobs at once): a child the repository
// holds is left out with all it reaches, as a registry holds whatever a
// manifest it holds refers to.
func (p *pusher) missing(ctx context.Context, a image.Artifact) (data, manifests []blob, err error) {
	parts := []image.Artifact{a}
	if ix, ok := a.(*image.Index); ok {
		if parts, err = p.absent(ctx, ix.Manifests()); err != nil {
			return nil, nil, err
		}
	}
	seen := map[digest.Digest]bool{a.Digest(): true}
	for _, part := range parts {
		for _, b := range artifactBlobs(part) {
			switch {
			case seen[b.desc.Digest]:
			case isManifest(b.desc.MediaType):
				manifests = append(manifests, b)
			default:
				data = append(data, b)
			}
			seen[b.desc.Digest] = true
		}
	}
	return data, manifests, nil
}

// absent returns the artifacts of as whose manifests the repository
// lacks, in order, each digest once.
func (p *pusher) absent(ctx context.Context, as []image.Artifact) ([]image.Artifact, error) {
	have := make([]bool, len(as))
	seen := map[digest.Digest]bool{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.c.opts.jobs())
	for i, a := range as {
		d := a.Descriptor()
		if seen[d.Digest] {
			have[i] = true
			continue
		}
		seen[d.Digest] = true
		g.Go(func() error {
			ok, err := p.c.repo.Exists(gctx, d)
			if err != nil {
				return p.c.wrap(err, "check manifest "+short(d))
			}
			if ok {
				p.rep.send(Progress{Descriptor: d, State: Exists, Done: d.Size, Total: d.Size})
			}
			have[i] = ok
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []image.Artifact
	for i, a := range as {
		if !have[i] {
			out = append(out, a)
		}
	}
	return out, nil
}

// tag puts a's manifest, which the repository holds, under each of tags
// but the reference's own, each once.
func (p *pusher) tag(ctx context.Context, a image.Artifact, root ocispec.Descriptor, tags []string) error {
	done := map[string]bool{p.c.ref.Tag: true}
	raw := a.RawManifest()
	for _, t := range tags {
		if done[t] {
			continue
		}
		done[t] = true
		if err := p.manifest(ctx, root, blob{desc: root, open: rawOpener(raw)}, t); err != nil {
			return err
		}
	}
	return nil
}

// blobs pushes bs, Jobs at once; the first error cancels the rest.
func (p *pusher) blobs(ctx context.Context, bs []blob) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(p.c.opts.jobs())
	for _, b := range bs {
		g.Go(func() error { return p.blob(ctx, b) })
	}
	return g.Wait()
}

// blob pushes one blob, starting over when an attempt fails in a way
// that another may not.
func (p *pusher) blob(ctx context.Context, b blob) error {
	src := &sourceErr{}
	bud := newBudget(p.c.opts)
	ctx = withBudget(ctx, bud)
	for {
		err := p.tryBlob(ctx, b, src)
		if err == nil {
			return nil
		}
		if serr := src.get(); serr != nil {
			return fmt.Errorf("remote: push %s: read blob %s: %w", p.c.ref.repo(), b.desc.Digest, serr)
		}
		if ctx.Err() != nil {
			return causeOf(ctx, ctx.Err())
		}
		if !retryBlob(err) {
			return p.c.wrap(err, "push blob "+short(b.desc))
		}
		wait, ok := bud.retry(err, 0, false)
		if !ok {
			return p.c.wrap(err, "push blob "+short(b.desc))
		}
		p.rep.send(Progress{Descriptor: b.desc, State: Retrying, Total: b.desc.Size, Err: p.c.wrap(err, "push blob "+short(b.desc))})
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// tryBlob makes one attempt at pushing b: nothing when the repository
// holds it, else a mount from a repository Options.Mounts knows, else
// an upload.
func (p *pusher) tryBlob(ctx context.Context, b blob, src *sourceErr) (err error) {
	c := p.c
	from, release, err := p.mounts.acquire(ctx, b.desc.Digest, c.ref.Repository)
	if err != nil {
		return err
	}
	defer func() { release(err == nil) }()
	exists, err := c.repo.Exists(ctx, b.desc)
	if err != nil {
		return err
	}
	if exists {
		p.rep.send(Progress{Descriptor: b.desc, State: Exists, Done: b.desc.Size, Total: b.desc.Size})
		return nil
	}
	report := p.rep.bytes(b.desc)
	if from != "" {
		var uploaded bool
		err := c.repo.Mount(ctx, b.desc, from, func() (io.ReadCloser, error) {
			uploaded = true
			return newBlobBody(ctx, b, src, report), nil
		})
		if err == nil {
			st := Mounted
			if uploaded {
				st = Uploaded
			}
			p.rep.send(Progress{Descriptor: b.desc, State: st, Done: b.desc.Size, Total: b.desc.Size})
		}
		return err
	}
	report(0)
	if err := c.repo.Push(ctx, b.desc, newBlobBody(ctx, b, src, report)); err != nil {
		return err
	}
	p.rep.send(Progress{Descriptor: b.desc, State: Uploaded, Done: b.desc.Size, Total: b.desc.Size})
	return nil
}

// manifest puts one manifest or index, under tag when tag is set, else
// by digest, skipping one by digest that the registry holds.
func (p *pusher) manifest(ctx context.Context, d ocispec.Descriptor, b blob, tag string) error {
	c := p.c
	ctx = withBudget(ctx, newBudget(c.opts))
	raw, err := readAll(ctx, b)
	if err != nil {
		return fmt.Errorf("remote: push %s: read manifest %s: %w", c.ref.repo(), d.Digest, err)
	}
	if tag == "" {
		exists, err := c.repo.Exists(ctx, d)
		if err != nil {
			return c.wrap(err, "check manifest "+short(d))
		}
		if exists {
			p.rep.send(Progress{Descriptor: d, State: Exists, Done: d.Size, Total: d.Size})
			return nil
		}
		err = c.repo.Push(ctx, d, bytes.NewReader(raw))
		if err != nil {
			return c.wrap(err, "push manifest "+short(d))
		}
	} else if err := c.repo.PushReference(ctx, d, bytes.NewReader(raw), tag); err != nil {
		return c.wrap(err, fmt.Sprintf("push manifest %s as tag %s", short(d), tag))
	}
	p.rep.send(Progress{Descriptor: d, State: Uploaded, Done: d.Size, Total: d.Size})
	return nil
}

// retryBlob reports whether a blob attempt that failed with err may
// succeed if started over: the registry was busy or unreachable, or lost
// the upload (a restart forgets upload sessions).
func retryBlob(err error) bool {
	if isCertError(err) {
		return false
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		switch s := resp.StatusCode; {
		case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
			return true
		case s == http.StatusBadRequest, s == http.StatusNotFound:
			return isUploadCode(resp)
		}
		return false
	}
	return isNetError(err)
}

func readAll(ctx context.Context, b blob) ([]byte, error) {
	rc, err := b.open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func rawOpener(raw []byte) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
}

// short names a blob in messages: its digest's first 12 hex digits.
func short(d ocispec.Descriptor) string {
	s := d.Digest.String()
	if i := len(d.Digest.Algorithm()) + 1 + 12; len(s) > i {
		return s[:i]
	}
	return s
}

// reporter serializes Progress calls and thins out byte counts.
type reporter struct {
	mu sync.Mutex
	f  func(Progress)
}

func (r *reporter) send(p Progress) {
	if r.f == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f(p)
}

// bytes returns the callback a blobBody reports its count to: it sends
// Uploading at the start and then about every MiB.
func (r *reporter) bytes(d ocispec.Descriptor) func(int64) {
	if r.f == nil {
		return func(int64) {}
	}
	var last int64 = -1
	var mu sync.Mutex
	return func(done int64) {
		mu.Lock()
		if done != 0 && done < d.Size && done >= last && done-last < 1<<20 {
			mu.Unlock()
			return
		}
		last = done
		mu.Unlock()
		r.send(Progress{Descriptor: d, State: Uploading, Done: done, Total: d.Size})
	}
}
