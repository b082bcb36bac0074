package layout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/durable"
	"github.com/minimage/minimage/internal/oci"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// writeJobs is how many blobs one Write reads and writes at once: blobs
// read from a registry download side by side.
const writeJobs = 4

// blobWriter writes the blobs of one Write: each to a temporary file,
// writeJobs at once, synced behind as it goes; then it syncs them all and
// renames them into place. No blob has its name before its bytes are
// durable, so index.json, written after, never names a blob a crash could
// lose; and no read waits for the disk.
type blobWriter struct {
	dir  string
	sync func(*oci.Pending) error // makes one staged blob durable

	mu      sync.Mutex
	pending []*oci.Pending
}

// write writes bs, or checks the copies already in place. When one
// fails, the others that were written whole still get their names, as
// checked blobs a later Write reuses.
func (w *blobWriter) write(ctx context.Context, bs []image.Blob) error {
	// The largest first, so that the long reads overlap.
	bs = slices.Clone(bs)
	slices.SortStableFunc(bs, func(a, b image.Blob) int { return cmp.Compare(b.Descriptor.Size, a.Descriptor.Size) })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(writeJobs)
	for _, b := range bs {
		g.Go(func() error { return w.blob(gctx, b) })
	}
	err := g.Wait()
	if cerr := w.commit(); err == nil {
		err = cerr
	}
	return err
}

// commit syncs every staged blob, writeJobs at once, then renames them
// into place. When a sync fails, none is renamed.
func (w *blobWriter) commit() error {
	var g errgroup.Group
	g.SetLimit(writeJobs)
	for _, p := range w.pending {
		g.Go(func() error { return w.sync(p) })
	}
	if err := g.Wait(); err != nil {
		for _, p := range w.pending {
			p.Discard()
		}
		return fmt.Errorf("layout: write %s: %w", w.dir, err)
	}
	for i, p := range w.pending {
		if err := p.Commit(); err != nil {
			for _, q := range w.pending[i+1:] {
				q.Discard()
			}
			return fmt.Errorf("layout: write %s: %w", w.dir, err)
		}
	}
	return nil
}

// blob stages b in dir's blobs, or checks the copy already there.
func (w *blobWriter) blob(ctx context.Context, b image.Blob) error {
	dir := w.dir
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("layout: write %s: %w", dir, err)
	}
	d := b.Descriptor.Digest
	if err := d.Validate(); err != nil {
		return fmt.Errorf("layout: write %s: blob %q: %w: %v", dir, d, image.ErrCorrupt, err)
	}
	bdir := filepath.Join(dir, "blobs", d.Algorithm().String())
	p := filepath.Join(bdir, d.Encoded())
	if st, err := os.Lstat(p); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("layout: write: blob %s: %w: not a regular file; remove it and write again", p, layer.ErrDigestMismatch)
		}
		if st.Size() != b.Descriptor.Size {
			return fmt.Errorf("layout: write: blob %s: %w (%d bytes, want %d); remove the file and write again", p, layer.ErrDigestMismatch, st.Size(), b.Descriptor.Size)
		}
		return verifyBlobFile(ctx, p, b.Descriptor)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("layout: write: %w", err)
	}
	if err := os.MkdirAll(bdir, 0o777); err != nil {
		return fmt.Errorf("layout: write: %w", err)
	}
	// A layer spilled to a file on this file system becomes the blob
	// without a copy (synced, then linked); any failure leaves nothing
	// behind, and the copy below does the work.
	if l := b.Layer(); l != nil && l.Link(p) == nil {
		return nil
	}
	src, err := b.Open(ctx)
	if err != nil {
		return fmt.Errorf("layout: write %s: blob %s: %w", dir, d, err)
	}
	defer src.Close()
	pend, err := oci.Stage(bdir, d.Encoded(), func(dst io.Writer) error {
		n, err := copyBlob(ctx, dst, src)
		if err != nil {
			return fmt.Errorf("blob %s: %w", d, err)
		}
		if n != b.Descriptor.Size {
			return fmt.Errorf("blob %s: %w: %d bytes, want %d", d, layer.ErrDigestMismatch, n, b.Descriptor.Size)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("layout: write %s: %w", dir, err)
	}
	w.mu.Lock()
	w.pending = append(w.pending, pend)
	w.mu.Unlock()
	return nil
}

// copyBlob copies src to dst, a staged file's writer, a MiB at a time,
// stopping when ctx is done. The file is synced behind the copy
// (durable.Behind), so that the sync after the last blob finds the bytes
// on the disk already.
func copyBlob(ctx context.Context, dst io.Writer, src io.Reader) (n int64, err error) {
	if fw, ok := dst.(interface{ File() *os.File }); ok {
		behind := durable.NewBehind(fw.File())
		defer func() {
			if werr := behind.Wait(); werr != nil && err == nil {
				err = &os.PathError{Op: "sync", Path: fw.File().Name(), Err: werr}
			}
		}()
		dst = behindWriter{dst, behind}
	}
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, rerr := src.Read(buf)
		if k > 0 {
			if _, err := dst.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// behindWriter tells a durable.Behind of each write.
type behindWriter struct {
	io.Writer
	b *durable.Behind
}

func (w behindWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	w.b.Wrote(int64(n))
	return n, err
}

// verifyBlobFile hashes the regular file at p and compares it with desc.
func verifyBlobFile(ctx context.Context, p string, desc ocispec.Descriptor) error {
	f, err := openNonblock(p)
	if err != nil {
		return fmt.Errorf("layout: %w", err)
	}
	defer f.Close()
	if !desc.Digest.Algorithm().Available() {
		return fmt.Errorf("layout: blob %s: %w: unsupported digest algorithm", p, layer.ErrDigestMismatch)
	}
	v := desc.Digest.Verifier()
	n, err := io.Copy(v, oci.CtxReader{Ctx: ctx, R: io.LimitReader(f, desc.Size+1)})
	if err != nil {
		return fmt.Errorf("layout: blob %s: %w", p, err)
	}
	if n != desc.Size || !v.Verified() {
		return fmt.Errorf("layout: blob %s: %w (%d bytes, want %d); remove the file and write again", p, layer.ErrDigestMismatch, n, desc.Size)
	}
	return nil
}
