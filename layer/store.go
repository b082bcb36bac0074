package layer

import (
	"bytes"
	"io"
	"os"
	"runtime"
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
		n, err := s.file.f.Write(p)
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
		if _, err := f.f.Write(c); err != nil {
			f.release()
			return err
		}
	}
	s.file, s.chunks = f, nil
	return nil
}

// discard frees what the store holds after a failed build.
func (s *blobStore) discard() {
	if s.file != nil {
		s.file.release()
	}
	s.chunks, s.file = nil, nil
}

// opener returns a function that opens the stored bytes for reading; it may
// be called any number of times, concurrently.
func (s *blobStore) opener() func() (io.ReadCloser, error) {
	if f, size := s.file, s.size; f != nil {
		return func() (io.ReadCloser, error) { return f.section(0, size), nil }
	}
	chunks := s.chunks
	return func() (io.ReadCloser, error) {
		rs := make([]io.Reader, len(chunks))
		for i, c := range chunks {
			rs[i] = bytes.NewReader(c)
		}
		return io.NopCloser(io.MultiReader(rs...)), nil
	}
}

// spillFile is a temporary file, unlinked at once where the OS allows it,
// and closed (and removed, where unlinking failed) once nothing refers to
// it any more.
type spillFile struct {
	f    *os.File
	name string // "" once unlinked
}

func newSpillFile(dir, pattern string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	sf := &spillFile{f: f, name: f.Name()}
	if os.Remove(sf.name) == nil {
		sf.name = ""
	}
	runtime.AddCleanup(sf, func(c spillCleanup) { c.f.Close(); c.remove() }, spillCleanup{f, sf.name})
	return sf, nil
}

type spillCleanup struct {
	f    *os.File
	name string
}

func (c spillCleanup) remove() {
	if c.name != "" {
		os.Remove(c.name)
	}
}

// release closes and removes the file now, for a store whose blob is
// dropped.
func (sf *spillFile) release() {
	sf.f.Close()
	spillCleanup{sf.f, sf.name}.remove()
}

// section returns a reader of size bytes at off that keeps sf alive while
// it is open.
func (sf *spillFile) section(off, size int64) io.ReadCloser {
	return &sectionReader{SectionReader: io.NewSectionReader(sf.f, off, size), keep: sf}
}

type sectionReader struct {
	*io.SectionReader
	keep *spillFile
}

func (r *sectionReader) Close() error {
	runtime.KeepAlive(r.keep)
	return nil
}
