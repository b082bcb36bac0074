package layer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/minimage/minimage/internal/durable"
)

// blobStore holds a compressed blob as it is written: in memory, in chunks
// that are never copied to grow, up to a threshold; past it, in an
// unlinked temporary file; or, with Options.Sink, in the caller's file.
type blobStore struct {
	threshold int64
	dir       string
	writeback bool // Options.SpillWriteback
	chunks    [][]byte
	file      *spillFile // the spill file, or the handle on Options.Sink
	w         *os.File   // where the bytes go once file is set
	base      int64      // the blob's offset in w
	size      int64
	// behind makes the file durable as it is written, where it is to be
	// (Options.SpillWriteback, Options.Sink); nil where it is not.
	behind *durable.Behind
}

const (
	firstChunk = 64 << 10
	maxChunk   = 4 << 20
)

func newBlobStore(o Options) (*blobStore, error) {
	if o.Sink != nil {
		return newSinkStore(o.Sink)
	}
	t := o.SpillThreshold
	if t == 0 {
		t = DefaultSpillThreshold
	}
	return &blobStore{threshold: t, dir: o.SpillDir, writeback: o.SpillWriteback}, nil
}

// newSinkStore returns a store that writes to sink from its offset on,
// and keeps a handle of its own on sink for the Layer.
func newSinkStore(sink *os.File) (*blobStore, error) {
	off, err := sink.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("layer: Options.Sink: %w", err)
	}
	f, err := dupFile(sink)
	if err != nil {
		return nil, fmt.Errorf("layer: Options.Sink: %w", err)
	}
	sf := &spillFile{st: &spillState{f: f}, refs: 1}
	runtime.AddCleanup(sf, (*spillState).close, sf.st)
	// The blob is in its place for good: sync it as it is written, so
	// that the caller's closing fsync has only the tail left.
	return &blobStore{file: sf, w: sink, base: off, behind: durable.NewBehind(sink)}, nil
}

func (s *blobStore) Write(p []byte) (int, error) {
	if s.file == nil && s.size+int64(len(p)) > s.threshold {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	if s.file != nil {
		n, err := s.w.Write(p)
		s.size += int64(n)
		if s.behind != nil {
			s.behind.Wrote(int64(n))
		}
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
	s.file, s.w, s.chunks = f, f.st.f, nil
	if f.st.linkable && s.writeback {
		// It is to be linked (Options.SpillWriteback), and its bytes
		// will then reach the disk anyway.
		s.behind = durable.NewBehind(s.w)
		s.behind.Wrote(s.size)
	}
	return nil
}

// finish waits for the background sync and returns its error: the file's
// closing fsync may not see an error that sync saw.
func (s *blobStore) finish() error {
	if s.behind == nil {
		return nil
	}
	if err := s.behind.Wait(); err != nil {
		return fmt.Errorf("writing the blob to the disk: %w; check the space and health of the file system it goes to (Options.SpillDir, or Options.Sink's)", err)
	}
	return nil
}

// discard frees what the store holds after a failed build.
func (s *blobStore) discard() {
	if s.behind != nil {
		s.behind.Wait()
	}
	if s.file != nil {
		s.file.unref()
	}
	s.chunks, s.file = nil, nil
}

// source hands what the store holds, and its spill file's reference, to a
// Layer.
func (s *blobStore) source() source {
	if s.file != nil {
		return spillSource{s.file, s.base, s.size}
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

// spillSource is a handle on a blob in a spill file, or in the file of
// Options.Sink at off.
type spillSource struct {
	f    *spillFile
	off  int64
	size int64
}

func (s spillSource) open(context.Context) (io.ReadCloser, error) {
	return s.f.section(s.off, s.size)
}

func (s spillSource) share() (source, bool) { return s, s.f.ref() }
func (s spillSource) release()              { s.f.unref() }

// link gives the spill file, which holds the blob and nothing else, the
// name name.
func (s spillSource) link(name string) error {
	if !s.f.st.linkable || s.off != 0 {
		return fmt.Errorf("%w: the file system of Options.SpillDir has no unnamed temporary files (O_TMPFILE), or this is not Linux", errors.ErrUnsupported)
	}
	if !s.f.ref() {
		return ErrReleased
	}
	defer s.f.unref()
	return linkFile(s.f.st.f, name)
}

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
	f        *os.File
	name     string // "" once unlinked
	linkable bool   // an O_TMPFILE file, which linkFile can name
	once     sync.Once
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
	f, linkable, err := createSpill(dir, pattern)
	if err != nil {
		return nil, err
	}
	st := &spillState{f: f, linkable: linkable}
	if !linkable {
		st.name = f.Name()
		if os.Remove(st.name) == nil {
			st.name = ""
		}
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

// copyToFile copies the rest of the section to f in the kernel, where it
// can (see copyRange).
func (r *sectionReader) copyToFile(ctx context.Context, f *os.File) (int64, bool, error) {
	pos, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, false, nil
	}
	_, off, size := r.Outer()
	n, handled, err := copyRange(ctx, f, r.f.st.f, off+pos, size-pos)
	r.Seek(pos+n, io.SeekStart)
	return n, handled, err
}

func (r *sectionReader) Close() error {
	r.once.Do(r.f.unref)
	return nil
}
