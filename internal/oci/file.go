package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// LayoutFile is the content of an OCI layout's oci-layout file.
const LayoutFile = `{"imageLayoutVersion":"1.0.0"}`

// WriteFileAtomic replaces dir/name with data, durably.
func WriteFileAtomic(dir, name string, data []byte) error {
	if err := WriteAtomic(dir, name, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	return SyncDir(dir)
}

// WriteAtomic writes dir/name through a temporary file in dir that is
// synced and renamed, and removed on failure. The file gets mode 0666
// less the umask, as os.Create would give it. Errors never name the
// temporary file: they name dir/name.
func WriteAtomic(dir, name string, write func(io.Writer) error) error {
	p, err := Stage(dir, name, write)
	if err != nil {
		return err
	}
	if err := p.Sync(); err != nil {
		p.Discard()
		return err
	}
	return p.Commit()
}

// Pending is a file Stage wrote under a temporary name, not yet synced
// nor renamed: a writer of many files syncs them all, then renames them
// all, so that no file has its final name before its bytes are durable,
// and no write waits for the disk before the next starts.
type Pending struct {
	f      *os.File
	target string
}

// Stage writes what write writes to a temporary file in dir, to become
// dir/name on Commit. On failure the temporary file is removed. Errors
// name dir/name, as WriteAtomic's do.
func Stage(dir, name string, write func(io.Writer) error) (p *Pending, err error) {
	target := filepath.Join(dir, name)
	f, err := createTemp(dir, TempPrefix(name))
	if err != nil {
		return nil, &os.PathError{Op: "create", Path: target, Err: unwrapPath(err)}
	}
	// An error of the file itself (ENOSPC, say) would name the temporary
	// file, which will be gone: the writer names the target instead, as
	// the error happens, before callers wrap it into messages.
	if err := write(targetWriter{f, target}); err != nil {
		f.Close()
		os.Remove(f.Name())
		var pe *os.PathError
		if errors.As(err, &pe) && pe.Path == f.Name() {
			pe.Path = target
		}
		return nil, err
	}
	return &Pending{f: f, target: target}, nil
}

// Target returns the name the file gets on Commit.
func (p *Pending) Target() string { return p.target }

// Sync makes the file's bytes durable.
func (p *Pending) Sync() error {
	if err := p.f.Sync(); err != nil {
		return &os.PathError{Op: "sync", Path: p.target, Err: unwrapPath(err)}
	}
	return nil
}

// Commit closes the file and renames it to its target; on failure it is
// removed. The caller syncs it first, and syncs the directory after.
func (p *Pending) Commit() error {
	if err := p.f.Close(); err != nil {
		os.Remove(p.f.Name())
		return &os.PathError{Op: "close", Path: p.target, Err: unwrapPath(err)}
	}
	if err := os.Rename(p.f.Name(), p.target); err != nil {
		os.Remove(p.f.Name())
		return &os.PathError{Op: "rename", Path: p.target, Err: unwrapPath(err)}
	}
	return nil
}

// Discard closes and removes the file, for a write given up.
func (p *Pending) Discard() {
	p.f.Close()
	os.Remove(p.f.Name())
}

// targetWriter writes to a temporary file and reports its errors as
// errors of the file it will become.
type targetWriter struct {
	f      *os.File
	target string
}

func (w targetWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	return n, w.rename(err)
}

// File returns the temporary file, for writers that copy into it in the
// kernel (copy_file_range). Errors of writes to it name it: pass them
// through TargetError before wrapping them.
func (w targetWriter) File() *os.File { return w.f }

// TargetError returns err, an error of a write to File, as an error of
// the target file: an *os.PathError naming the temporary file names the
// target instead. Other errors pass unchanged.
func (w targetWriter) TargetError(err error) error { return w.rename(err) }

// ReadFrom keeps os.File's copy_file_range and splice for io.Copy.
func (w targetWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := w.f.ReadFrom(r)
	return n, w.rename(err)
}

func (w targetWriter) rename(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == w.f.Name() {
		return &os.PathError{Op: pe.Op, Path: w.target, Err: pe.Err}
	}
	return err
}

// createTemp creates a new file in dir whose name starts with prefix,
// as os.CreateTemp does but with mode 0666 less the umask, as os.Create
// gives: os.CreateTemp's 0600 would ignore the umask.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if os.IsExist(err) {
			continue
		}
		return f, err
	}
	return nil, &os.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"), Err: os.ErrExist}
}

// unwrapPath strips an *os.PathError or *os.LinkError, whose path is the
// temporary file's.
func unwrapPath(err error) error {
	switch e := err.(type) {
	case *os.PathError:
		return e.Err
	case *os.LinkError:
		return e.Err
	}
	return err
}

// CtxReader stops reading when Ctx is done.
type CtxReader struct {
	Ctx context.Context
	R   io.Reader
}

func (c CtxReader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	return c.R.Read(p)
}

// MaxJSONSize bounds the index.json, oci-layout, manifest.json and config
// files a reader takes.
const MaxJSONSize = 8 << 20

// ReadSmall reads the file rel of fsys, refusing one larger than
// MaxJSONSize with an error that wraps corrupt, the caller's sentinel.
func ReadSmall(fsys fs.FS, rel string, corrupt error) ([]byte, error) {
	f, err := fsys.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxJSONSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxJSONSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", corrupt, rel, MaxJSONSize)
	}
	return data, nil
}

// TempPrefix is how the names of WriteAtomic's temporary files for name
// in a directory begin: a writer that sees one beside no name yet knows
// another writer is making it.
func TempPrefix(name string) string { return ".tmp-" + name[:min(len(name), 16)] + "-" }
