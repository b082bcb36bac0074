package layer

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"sync"
)

// blobStore holds a compressed blob as it is written: in memory, in chunks
// that are never copied to grow, up to a threshold; past it, in an
// unlinked temporary file.
type blobStore struct {
	threshold int64
	dir       string
	chunks    [][]byte
	file      *spillFile
	size      int64
}

const (
	firstChunk = 64 << 10
	maxChunk   = 4 << 20
)

func newBlobStore(o Options) *blobStore {
	t := o.SpillThreshold
	if t == 0 {
		t = DefaultSpillThreshold
	}
	return &blobStore{threshold: t, dir: o.SpillDir}
}

func (s *blobStore) Write(p []byte) (int, error) {
	if s.file == nil && s.size+int64(len(p)) > s.threshold {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	if s.file != nil {
		n, err := s.file.st.f.Write(p)
		s.size += int64(n)
		return n, err
	}
	n := len(p)
	for len(p) > 0 {
		last := len(s.chunks) - 1
		if last < 0 || len(s.chunks[last]) == cap(s.chunks[last]) {
			size := firstChunk
			if last >= 0 {
				size = min(2*cap(s.chunks[last]), maxChunk)
			}
			s.chunks = append(s.chunks, make([]byte, 0, size))
			last++
		}
		c := s.chunks[last]
		k := min(len(p), cap(c)-len(c))
		s.chunks[last] = append(c, p[:k]...)
		p = p[k:]
	}
	s.size += int64(n)
	return n, nil
}

// spill moves what is held in memory to a new temporary file.
func (s *blobStore) spill() error {
	f, err := newSpillFile(s.dir, "minimage-blob-*")
	if err != nil {
		return err
	}
	for _, c := range s.chunks {
		if _, err := f.st.f.Write(c); err != nil {
			f.unref()
			return err
		}
	}
	s.file, s.chunks = f, nil
	return nil
}

// discard frees what the store holds after a failed build.
func (s *blobStore) discard() {
	if s.file != nil {
		s.file.unref()
	}
	s.chunks, s.file = nil, nil
}

// source hands what the store holds, and its spill file's reference, to a
// Layer.
func (s *blobStore) source() source {
	if s.file != nil {
		return spillSource{s.file, s.size}
	}
	return memSource(s.chunks)
}

// memSource is a blob held in memory. Releasing it drops the Layer's
// reference; the garbage collector frees the bytes once no Share or open
// reader holds them.
type memSource [][]byte

func (m memSource) open(context.Context) (io.ReadCloser, error) {
	rs := make([]io.Reader, len(m))
	for i, c := range m {
		rs[i] = bytes.NewReader(c)
	}
	return io.NopCloser(io.MultiReader(rs...)), nil
}

func (m memSource) share() (source, bool) { return m, true }
func (memSource) release()                {}

// spillSource is a handle on a blob in a spill file.
type spillSource struct {
	f    *spillFile
	size int64
}

func (s spillSource) open(context.Context) (io.ReadCloser, error) {
	return s.f.section(0, s.size)
}

func (s spillSource) share() (source, bool) { return s, s.f.ref() }
func (s spillSource) release()              { s.f.unref() }

// spillFile is a temporary file, unlinked at once where the OS allows it.
// It counts its references (the handles of Layers, a Builder's content
// store, open readers) and is closed, and removed where unlinking failed,
// when the last one goes, or when the garbage collector finds it
// unreachable.
type spillFile struct {
	st   *spillState
	mu   sync.Mutex
	refs int
}

// spillState is what closing a spill file needs; the cleanup holds it, not
// the spillFile, which it would keep reachable.
type spillState struct {
	f    *os.File
	name string // "" once unlinked
	once sync.Once
}

func (s *spillState) close() {
	s.once.Do(func() {
		s.f.Close()
		if s.name != "" {
			os.Remove(s.name)
		}
	})
}

// newSpillFile creates a spill file holding one reference, its creator's.
func newSpillFile(dir, pattern string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	st := &spillState{f: f, name: f.Name()}
	if os.Remove(st.name) == nil {
		st.name = ""
	}
	sf := &spillFile{st: st, refs: 1}
	runtime.AddCleanup(sf, (*spillState).close, st)
	return sf, nil
}

// ref adds a reference, unless the file is already closed.
func (sf *spillFile) ref() bool {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.refs == 0 {
		return false
	}
	sf.refs++
	return true
}

// unref drops a reference and closes the file when it was the last.
func (sf *spillFile) unref() {
	sf.mu.Lock()
	sf.refs--
	last := sf.refs == 0
	sf.mu.Unlock()
	if last {
		sf.st.close()
	}
}

// section returns a reader of size bytes at off that holds a reference
// until it is closed, or ErrReleased if the file is closed.
func (sf *spillFile) section(off, size int64) (io.ReadCloser, error) {
	if !sf.ref() {
		return nil, ErrReleased
	}
	return &sectionReader{SectionReader: io.NewSectionReader(sf.st.f, off, size), f: sf}, nil
}

type sectionReader struct {
	*io.SectionReader
	f    *spillFile
	once sync.Once
}

func (r *sectionReader) Close() error {
	r.once.Do(r.f.unref)
	return nil
}
