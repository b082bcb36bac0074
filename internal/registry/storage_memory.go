package registry

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/go-digest"
)

// DefaultThreshold is the size above which NewMemory keeps a blob in a
// file rather than in memory: 4 MiB.
const DefaultThreshold = 4 << 20

// UploadMemory is the most memory the uploads in progress of a NewMemory
// storage hold together: 64 MiB. An upload that would take them past it
// goes to a file, however small.
const UploadMemory = 64 << 20

// NewMemory returns a Storage that keeps blobs of up to threshold bytes
// in memory and larger ones in files under dir, so that a large push is
// not held in memory (not even once), and uploads in progress hold at
// most UploadMemory together. threshold 0 means
// DefaultThreshold. dir "" means a directory NewMemory creates under
// os.TempDir, which Close removes; a dir the caller gives is the
// caller's to remove, though Close removes the files it made there. The
// metadata is not kept: it lives as long as the Registry.
func NewMemory(dir string, threshold int64) (Storage, error) {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	m := &memory{dir: dir, threshold: threshold, budget: UploadMemory, small: map[digest.Digest][]byte{}, large: map[digest.Digest]string{}}
	if dir == "" {
		d, err := os.MkdirTemp("", "minimage-registry-")
		if err != nil {
			return nil, fmt.Errorf("registry: storage: %w", err)
		}
		m.dir, m.ownDir = d, true
	}
	return m, nil
}

type memory struct {
	dir       string
	ownDir    bool
	threshold int64
	budget    int64 // bytes uploads may hold in memory together

	mu    sync.Mutex
	held  int64 // bytes uploads hold in memory
	small map[digest.Digest][]byte
	large map[digest.Digest]string // path of the file
	spill map[string]bool          // files of uploads in progress
}

func (m *memory) Open(d digest.Digest) (io.ReadSeekCloser, int64, error) {
	m.mu.Lock()
	b, inMem := m.small[d]
	path, inFile := m.large[d]
	m.mu.Unlock()
	switch {
	case inMem:
		return nopCloser{bytes.NewReader(b)}, int64(len(b)), nil
	case inFile:
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, fmt.Errorf("registry: open blob %s: %w", d, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("registry: open blob %s: %w", d, err)
		}
		return f, fi.Size(), nil
	}
	return nil, 0, fmt.Errorf("registry: blob %s: %w", d, ErrNotFound)
}

func (m *memory) Stat(d digest.Digest) (int64, error) {
	m.mu.Lock()
	b, inMem := m.small[d]
	path, inFile := m.large[d]
	m.mu.Unlock()
	switch {
	case inMem:
		return int64(len(b)), nil
	case inFile:
		fi, err := os.Stat(path)
		if err != nil {
			return 0, fmt.Errorf("registry: stat blob %s: %w", d, err)
		}
		return fi.Size(), nil
	}
	return 0, fmt.Errorf("registry: blob %s: %w", d, ErrNotFound)
}

func (m *memory) Create() (Upload, error) {
	return &memUpload{m: m}, nil
}

func (m *memory) Delete(d digest.Digest) error {
	m.mu.Lock()
	path, inFile := m.large[d]
	delete(m.small, d)
	delete(m.large, d)
	m.mu.Unlock()
	if inFile {
		// A reader that has the file open keeps reading it.
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("registry: delete blob %s: %w", d, err)
		}
	}
	return nil
}

func (m *memory) Close() error {
	m.mu.Lock()
	var files []string
	for _, p := range m.large {
		files = append(files, p)
	}
	for p := range m.spill {
		files = append(files, p)
	}
	m.small, m.large, m.spill = map[digest.Digest][]byte{}, map[digest.Digest]string{}, nil
	m.mu.Unlock()
	if m.ownDir {
		files = []string{m.dir}
	}
	var first error
	for _, p := range files {
		// An upload still writing to its file gets an error, or writes
		// to an unlinked file.
		if err := os.RemoveAll(p); err != nil && first == nil {
			first = fmt.Errorf("registry: close storage: %w", err)
		}
	}
	return first
}

// memUpload writes to memory until it passes the threshold, or the
// uploads of its storage would pass their budget, then to a file.
type memUpload struct {
	m    *memory
	buf  []byte // its capacity is reserved from m's budget
	f    *os.File
	size int64
	done bool
}

func (u *memUpload) Write(p []byte) (int, error) {
	if u.done {
		return 0, fmt.Errorf("registry: write to an ended upload")
	}
	if err := u.expect(int64(len(p))); err != nil {
		return 0, err
	}
	var n int
	var err error
	if u.f != nil {
		n, err = u.f.Write(p)
	} else {
		u.buf, n = append(u.buf, p...), len(p)
	}
	u.size += int64(n)
	return n, err
}

// expect makes room for n more bytes: in the buffer, grown by doubling
// as append does but never past the threshold, if the storage's budget
// has it; else in a file, where the upload moves. It runs before a
// write, and before a request body whose length the client gave, so
// that such a body never passes through the buffer.
func (u *memUpload) expect(n int64) error {
	need := u.size + n
	if u.f != nil || need <= int64(cap(u.buf)) {
		return nil
	}
	if need <= u.m.threshold {
		c := min(max(2*int64(cap(u.buf)), need), u.m.threshold)
		if u.m.reserve(c - int64(cap(u.buf))) {
			nb := make([]byte, len(u.buf), c)
			copy(nb, u.buf)
			u.buf = nb
			return nil
		}
	}
	return u.spill()
}

// spill moves the upload from its buffer to a file.
func (u *memUpload) spill() error {
	f, err := os.CreateTemp(u.m.dir, "blob-")
	if err != nil {
		return fmt.Errorf("registry: upload: %w", err)
	}
	if _, err := f.Write(u.buf); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("registry: upload: %w", err)
	}
	u.f = f
	u.m.mu.Lock()
	u.m.held -= int64(cap(u.buf))
	if u.m.spill == nil {
		u.m.spill = map[string]bool{}
	}
	u.m.spill[f.Name()] = true
	u.m.mu.Unlock()
	u.buf = nil
	return nil
}

// reserve takes n bytes of the budget of uploads, if it has them.
func (m *memory) reserve(n int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held+n > m.budget {
		return false
	}
	m.held += n
	return true
}

func (u *memUpload) Size() int64 { return u.size }

func (u *memUpload) Reader() (io.ReadCloser, error) {
	if u.f != nil {
		f, err := os.Open(u.f.Name())
		if err != nil {
			return nil, fmt.Errorf("registry: upload: %w", err)
		}
		return f, nil
	}
	return io.NopCloser(bytes.NewReader(u.buf)), nil
}

func (u *memUpload) Commit(d digest.Digest) error {
	if u.done {
		return fmt.Errorf("registry: commit an ended upload")
	}
	m := u.m
	var path string
	if u.f != nil {
		path = u.f.Name()
		if err := u.f.Close(); err != nil {
			os.Remove(path)
			return fmt.Errorf("registry: upload: %w", err)
		}
	}
	m.mu.Lock()
	m.held -= int64(cap(u.buf))
	delete(m.spill, path)
	_, inMem := m.small[d]
	_, inFile := m.large[d]
	exists := inMem || inFile
	switch {
	case exists:
	case path != "":
		m.large[d] = path
	default:
		m.small[d] = u.buf
	}
	m.mu.Unlock()
	u.done, u.buf = true, nil
	if exists && path != "" {
		os.Remove(path)
	}
	return nil
}

func (u *memUpload) Cancel() error {
	if u.done {
		return nil
	}
	u.m.mu.Lock()
	u.m.held -= int64(cap(u.buf))
	u.m.mu.Unlock()
	u.done, u.buf = true, nil
	if u.f != nil {
		u.m.mu.Lock()
		delete(u.m.spill, u.f.Name())
		u.m.mu.Unlock()
		u.f.Close()
		if err := os.Remove(u.f.Name()); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("registry: cancel upload: %w", err)
		}
	}
	return nil
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

// blobPath returns where a blob lives under dir: blobs/ALG/HEX, as in an
// OCI image layout.
func blobPath(dir string, d digest.Digest) string {
	return filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded())
}
