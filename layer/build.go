package layer

import (
	"archive/tar"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"runtime"
	"time"

	"github.com/minimage/minimage/layer/gzip"
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
	mt := b.opts.modTime()
	for _, e := range es {
		if err := ctx.Err(); err != nil {
			p.abort()
			return nil, fmt.Errorf("layer: build: %w", err)
		}
		if err := writeEntry(ctx, p, e, mt); err != nil {
			p.abort()
			return nil, fmt.Errorf("layer: build %q: %w", "/"+e.path, err)
		}
	}
	// The end of the archive, as tar.Writer.Close writes it.
	if _, err := p.Write(p.zeros[:]); err != nil {
		p.abort()
		return nil, fmt.Errorf("layer: build: %w", err)
	}
	return p.finish()
}

// tarBlock is the size of a tar block: headers take whole blocks, and
// contents are padded to whole blocks.
const tarBlock = 512

// writeEntry writes e to p as tar.Writer would. A tar.Writer of its own
// writes the header (with the PAX or GNU entry before it where one is
// needed), and the contents go to p directly, padded here: read straight
// into the compressor's blocks (pipeline.readFrom), never through a
// buffer that tar.Writer would copy from.
func writeEntry(ctx context.Context, p *pipeline, e *entry, mt time.Time) error {
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
	if err := tar.NewWriter(p).WriteHeader(h); err != nil {
		return err
	}
	if e.kind != kindFile {
		return nil
	}
	var contents io.Writer
	if p.opts.FileContents != nil {
		contents = p.opts.FileContents("/" + e.path)
	}
	rc, err := e.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := p.readFrom(ctx, io.LimitReader(rc, e.size), contents)
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
	if pad := -e.size & (tarBlock - 1); pad > 0 {
		_, err = p.Write(p.zeros[:pad])
	}
	return err
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
	zeros      [2 * tarBlock]byte // pads contents and ends the archive
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

// readFrom reads r to its end into the pipeline, checking ctx between
// reads, and writes what it reads to contents too unless it is nil. The
// gzip writer reads it straight into its blocks, where it is hashed: no
// copy through a buffer. Not the zstd encoder: its frames depend on how
// its input is cut, and ReadFrom cuts it otherwise than Write.
func (p *pipeline) readFrom(ctx context.Context, r io.Reader, contents io.Writer) (int64, error) {
	in := &pipelineReader{ctx: ctx, r: r, p: p, contents: contents}
	if zw, ok := p.comp.(*gzip.Writer); ok {
		return zw.ReadFrom(in)
	}
	return io.Copy(writerOnly{p.comp}, in)
}

// writerOnly hides a writer's ReadFrom.
type writerOnly struct{ io.Writer }

// pipelineReader is what pipeline.readFrom hands the compressor: the
// bytes it reads are hashed (the diffID), counted, reported and written
// to contents (Options.FileContents), if set.
type pipelineReader struct {
	ctx      context.Context
	r        io.Reader
	p        *pipeline
	contents io.Writer
}

func (r *pipelineReader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(b)
	r.p.diff.Write(b[:n])
	r.p.in += int64(n)
	r.p.progress()
	if r.contents != nil && n > 0 {
		if k, werr := r.contents.Write(b[:n]); werr != nil || k != n {
			return n, fmt.Errorf("Options.FileContents' writer: %w", cmp.Or(werr, io.ErrShortWrite))
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
