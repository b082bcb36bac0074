package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
)

// AddTar adds every entry of the tar stream r, normalized: paths are
// cleaned, times set to Format.ModTime, and modes, owners and names kept
// as the stream has them. Regular files, directories, symlinks and hard
// links are accepted; other entry types, and extended attributes, are not
// carried. Sparse files are refused (ErrInvalidTar): expanded, a few KiB of
// tar could claim terabytes. File contents are copied into memory or, when
// large, into an unlinked temporary file in Options.SpillDir, so r need not
// stay open. AddTar stops reading with ctx's error once ctx is done.
//
// To keep a tar stream's bytes exactly as they are, use FromTar instead.
func (b *Builder) AddTar(ctx context.Context, r io.Reader) error {
	tr := tar.NewReader(ctxReader{ctx, r})
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("layer: add tar: %w", err)
		}
		if err != nil {
			return fmt.Errorf("layer: add tar: %w: %w", ErrInvalidTar, err)
		}
		if isSparse(h) {
			return fmt.Errorf("layer: add tar: %w: %s is a sparse file, which AddTar does not expand; write the tar without sparse files (GNU tar without --sparse), or keep its bytes with FromTar", ErrInvalidTar, h.Name)
		}
		// FileInfo maps the setuid, setgid and sticky bits; the Add
		// methods drop the type bits.
		a := Attr{Mode: h.FileInfo().Mode(), UID: h.Uid, GID: h.Gid, Uname: h.Uname, Gname: h.Gname}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			open, err := b.keep(tr, h.Size)
			if err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					err = ctxErr
				}
				return fmt.Errorf("layer: add tar: %s: %w", h.Name, err)
			}
			err = b.add("add tar entry", h.Name, &entry{kind: kindFile, attr: withDefaultMode(a, 0o644), size: h.Size, open: open})
			if err != nil {
				return err
			}
		case tar.TypeDir:
			err = b.AddDir(h.Name, a)
		case tar.TypeSymlink:
			err = b.AddSymlink(h.Name, h.Linkname, a)
		case tar.TypeLink:
			err = b.AddHardlink(h.Name, h.Linkname, a)
		default:
			err = fmt.Errorf("layer: add tar: %w: %s has type %q; only files, directories, symlinks and hard links can be imported", ErrInvalidTar, h.Name, h.Typeflag)
		}
		if err != nil {
			return err
		}
	}
}

// isSparse reports a GNU sparse file, in the old GNU format or in PAX
// records, which archive/tar expands to its logical size when read.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// keep copies size bytes of r into the builder's content store.
func (b *Builder) keep(r io.Reader, size int64) (func() (io.ReadCloser, error), error) {
	const small = 64 << 10
	if size <= small {
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidTar, err)
		}
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }, nil
	}
	if b.content == nil {
		f, err := newSpillFile(b.opts.SpillDir, "minimage-tar-*")
		if err != nil {
			return nil, err
		}
		b.content = &contentStore{file: f}
	}
	return b.content.add(r, size)
}

// contentStore appends file contents to one temporary file.
type contentStore struct {
	file *spillFile
	end  int64
}

func (c *contentStore) add(r io.Reader, size int64) (func() (io.ReadCloser, error), error) {
	off := c.end
	n, err := io.Copy(c.file.st.f, io.LimitReader(r, size))
	c.end += n
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, fmt.Errorf("%w: stream ends %d bytes into a %d-byte file", ErrInvalidTar, n, size)
	}
	f := c.file
	return func() (io.ReadCloser, error) { return f.section(off, size) }, nil
}

// FromTar makes a layer of the tar stream r exactly as it is: its bytes are
// hashed and compressed as they stream past, in the stream's own order and
// with its own times. Every header is checked (paths must be relative and
// stay below the root) so that a hostile stream is refused, not stored;
// entry contents are not interpreted, so a sparse file is kept as the
// stream holds it. Format.ModTime and Replace do not apply. FromTar stops
// reading with ctx's error once ctx is done. To normalize a tar instead,
// use a Builder and AddTar.
func FromTar(ctx context.Context, r io.Reader, opts Options) (*Layer, error) {
	p, err := newPipeline(ctx, opts)
	if err != nil {
		return nil, err
	}
	err = func() error {
		// Next skips each entry's content through the tee, in its stored
		// (for a sparse file, unexpanded) size; checking ctx on every read
		// of r bounds the time a large entry takes.
		tr := tar.NewReader(io.TeeReader(ctxReader{ctx, r}, p))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err != nil {
				return fmt.Errorf("%w: %w", ErrInvalidTar, err)
			}
			if err := checkTarName(h); err != nil {
				return err
			}
		}
		// Keep the end-of-archive blocks and any padding after them.
		_, err := p.readFrom(ctx, r, nil)
		return err
	}()
	if err != nil {
		p.abort()
		return nil, fmt.Errorf("layer: from tar: %w", err)
	}
	return p.finish()
}

func checkTarName(h *tar.Header) error {
	if _, err := cleanPath(h.Name); err != nil {
		return err
	}
	if bytes.HasPrefix([]byte(h.Name), []byte("/")) {
		return fmt.Errorf("%w: %q is absolute; layer paths are relative to the root", ErrInvalidPath, h.Name)
	}
	if h.Typeflag == tar.TypeLink {
		if _, err := cleanPath(h.Linkname); err != nil {
			return fmt.Errorf("hard link %q: %w", h.Name, err)
		}
	}
	return nil
}
