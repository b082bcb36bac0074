package layer

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// Build writes the layer: entries in order, through sha256 (the diffID),
// the compressor and sha256 again (the digest). It stops promptly when ctx
// is cancelled, and leaves no goroutine or temporary file behind on error.
// A Builder can build again (for another compression, say) unless it holds
// entries added with AddReader.
func (b *Builder) Build(ctx context.Context) (*Layer, error) {
	es, err := b.sorted()
	if err != nil {
		return nil, err
	}
	p, err := newPipeline(ctx, b.opts)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(p)
	mt := b.opts.modTime()
	for _, e := range es {
		if err := ctx.Err(); err != nil {
			p.abort()
			return nil, fmt.Errorf("layer: build: %w", err)
		}
		if err := writeEntry(ctx, tw, e, mt, p.progress); err != nil {
			p.abort()
			return nil, fmt.Errorf("layer: build %q: %w", "/"+e.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		p.abort()
		return nil, fmt.Errorf("layer: build: %w", err)
	}
	return p.finish()
}

func writeEntry(ctx context.Context, tw *tar.Writer, e *entry, mt time.Time, progress func()) error {
	h := &tar.Header{
		Name:    e.path,
		Mode:    tarMode(e.attr.Mode),
		Uid:     e.attr.UID,
		Gid:     e.attr.GID,
		Uname:   e.attr.Uname,
		Gname:   e.attr.Gname,
		ModTime: mt,
	}
	if !e.attr.ModTime.IsZero() {
		h.ModTime = e.attr.ModTime.Truncate(time.Second).UTC()
	}
	switch e.kind {
	case kindDir:
		h.Typeflag, h.Name = tar.TypeDir, e.path+"/"
	case kindSymlink:
		h.Typeflag, h.Linkname = tar.TypeSymlink, e.linkname
	case kindHardlink:
		h.Typeflag, h.Linkname = tar.TypeLink, e.linkname
	case kindFile:
		h.Typeflag, h.Size = tar.TypeReg, e.size
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if e.kind != kindFile {
		return nil
	}
	rc, err := e.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := copyCtx(ctx, tw, io.LimitReader(rc, e.size), progress)
	if err != nil {
		return err
	}
	if n != e.size {
		return fmt.Errorf("%w: got %d bytes, want %d; was the file changed or truncated while the layer was built?", ErrSizeMismatch, n, e.size)
	}
	if e.growable {
		var one [1]byte
		if k, _ := rc.Read(one[:]); k > 0 {
			return fmt.Errorf("%w: the file grew past %d bytes while the layer was built", ErrSizeMismatch, e.size)
		}
	}
	return nil
}

func tarMode(m fs.FileMode) int64 {
	v := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// copyCtx copies src to dst until EOF, checking ctx between chunks and
// calling progress (if not nil) after each.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader, progress func()) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, rerr := src.Read(buf)
		if k > 0 {
			w, werr := dst.Write(buf[:k])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
			if progress != nil {
				progress()
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// pipeline is the single pass: what is written to it is hashed (diffID),
// compressed, hashed again (digest), counted and stored.
type pipeline struct {
	opts       Options
	slot       *Limiter // the Limiter whose slot it holds, or nil
	diff, dig  hash.Hash
	comp       io.WriteCloser
	store      *blobStore
	in, out    int64
	lastReport int64
	mediaType  string
}

// newPipeline takes a slot of o.Limiter, if set, waiting for it until ctx
// is done, and returns a pipeline that holds it until finish or abort.
func newPipeline(ctx context.Context, o Options) (*pipeline, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	level, err := o.level()
	if err != nil {
		return nil, err
	}
	if o.Limiter != nil {
		running, err := o.Limiter.acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("layer: waiting for another build of Options.Limiter to finish: %w", err)
		}
		if o.Blocks == 0 && running > 1 && o.Compression == Gzip {
			// The running builds share the CPUs; blocks never change bytes.
			o.Blocks = max(1, runtime.GOMAXPROCS(0)/running)
		}
	}
	store, err := newBlobStore(o)
	if err != nil {
		if o.Limiter != nil {
			o.Limiter.release()
		}
		return nil, err
	}
	p := &pipeline{opts: o, slot: o.Limiter, diff: sha256.New(), dig: sha256.New(), store: store, mediaType: o.Compression.MediaType()}
	p.comp, err = newCompressor(outWriter{p}, o, level)
	if err != nil {
		p.store.discard()
		p.releaseSlot()
		return nil, err
	}
	return p, nil
}

func (p *pipeline) releaseSlot() {
	if p.slot != nil {
		p.slot.release()
		p.slot = nil
	}
}

// Write takes uncompressed tar bytes.
func (p *pipeline) Write(b []byte) (int, error) {
	p.diff.Write(b)
	n, err := p.comp.Write(b)
	p.in += int64(n)
	return n, err
}

// outWriter takes compressed bytes from the compressor.
type outWriter struct{ p *pipeline }

func (w outWriter) Write(b []byte) (int, error) {
	w.p.dig.Write(b)
	n, err := w.p.store.Write(b)
	w.p.out += int64(n)
	if err == nil && w.p.opts.Tee != nil {
		if _, err = w.p.opts.Tee.Write(b); err != nil {
			err = fmt.Errorf("layer: tee: %w", err)
		}
	}
	return n, err
}

func (p *pipeline) progress() {
	if p.opts.Progress != nil && p.in-p.lastReport >= 1<<20 {
		p.lastReport = p.in
		p.opts.Progress(Progress{In: p.in, Out: p.out})
	}
}

func (p *pipeline) abort() {
	p.comp.Close()
	p.store.discard()
	p.releaseSlot()
}

func (p *pipeline) finish() (*Layer, error) {
	defer p.releaseSlot()
	if err := p.comp.Close(); err != nil {
		p.store.discard()
		return nil, fmt.Errorf("layer: compress: %w", err)
	}
	if err := p.store.finish(); err != nil {
		p.store.discard()
		return nil, fmt.Errorf("layer: %w", err)
	}
	if p.opts.Progress != nil {
		p.opts.Progress(Progress{In: p.in, Out: p.out})
	}
	l := &Layer{
		mediaType: p.mediaType,
		digest:    digest.NewDigest(digest.SHA256, p.dig),
		diffID:    digest.NewDigest(digest.SHA256, p.diff),
		size:      p.store.size,
		tarSize:   p.in,
		src:       p.store.source(),
	}
	return l, nil
}
