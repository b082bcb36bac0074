package layer

import (
	"bytes"
	"io"
	"os"
	"runtime"
)

// blobStore holds a compressed blob as it is written: in memory up to a
// threshold, then in an unlinked temporary file.
type blobStore struct {
	threshold int64
	dir       string
	mem       []byte
	file      *spillFile
	size      int64
}

func newBlobStore(o Options) *blobStore {
	t := o.SpillThreshold
	if t == 0 {
		t = DefaultSpillThreshold
	}
	return &blobStore{threshold: t, dir: o.SpillDir}
}

func (s *blobStore) Write(p []byte) (int, error) {
	if s.file == nil && s.size+int64(len(p)) > s.threshold {
		f, err := newSpillFile(s.dir, "minimage-blob-*")
		if err != nil {
			return 0, err
		}
		if _, err := f.f.Write(s.mem); err != nil {
			f.release()
			return 0, err
		}
		s.file, s.mem = f, nil
	}
	if s.file != nil {
		n, err := s.file.f.Write(p)
		s.size += int64(n)
		return n, err
	}
	s.mem = append(s.mem, p...)
	s.size += int64(len(p))
	return len(p), nil
}

// discard frees what the store holds after a failed build.
func (s *blobStore) discard() {
	if s.file != nil {
		s.file.release()
	}
	s.mem, s.file = nil, nil
}

// opener returns a function that opens the stored bytes for reading; it may
// be called any number of times, concurrently.
func (s *blobStore) opener() func() (io.ReadCloser, error) {
	if f, size := s.file, s.size; f != nil {
		return func() (io.ReadCloser, error) { return f.section(0, size), nil }
	}
	mem := s.mem
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(mem)), nil }
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
