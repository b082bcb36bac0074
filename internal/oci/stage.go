package oci

import (
	"errors"
	"io"
	"os"
	"path/filepath"
)

// Pending is a file Stage wrote under a temporary name, not yet synced
// nor renamed: a writer of many files syncs them all, then renames them
// all, so that no file has its final name before its bytes are durable,
// and no write waits for the disk before the next starts.
type Pending struct {
	f      *os.File
	target string
}

// Stage writes what write writes to a temporary file in dir, to become
// dir/name on Commit; the writer's File method gives the file. On
// failure the temporary file is removed. Errors name dir/name, as
// WriteAtomic's do.
func Stage(dir, name string, write func(io.Writer) error) (*Pending, error) {
	target := filepath.Join(dir, name)
	f, err := createTemp(dir, TempPrefix(name))
	if err != nil {
		return nil, &os.PathError{Op: "create", Path: target, Err: unwrapPath(err)}
	}
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
