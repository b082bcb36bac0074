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
func WriteAtomic(dir, name string, write func(io.Writer) error) (err error) {
	target := filepath.Join(dir, name)
	f, err := createTemp(dir, TempPrefix(name))
	if err != nil {
		return &os.PathError{Op: "create", Path: target, Err: unwrapPath(err)}
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// An error of the file itself (ENOSPC, say) would name the temporary
	// file, which will be gone: the writer names the target instead, as
	// the error happens, before callers wrap it into messages.
	if err := write(targetWriter{f, target}); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) && pe.Path == f.Name() {
			pe.Path = target
		}
		return err
	}
	if err := f.Sync(); err != nil {
		return &os.PathError{Op: "sync", Path: target, Err: unwrapPath(err)}
	}
	if err := f.Close(); err != nil {
		return &os.PathError{Op: "close", Path: target, Err: unwrapPath(err)}
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return &os.PathError{Op: "rename", Path: target, Err: unwrapPath(err)}
	}
	return nil
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
