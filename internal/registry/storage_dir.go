package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/go-digest"
)

// NewDir returns a Storage that keeps everything in directory dir,
// creating it if needed, so that a registry started again on dir serves
// what it held: blobs and manifests in dir/blobs/ALG/HEX (as in an OCI
// image layout), uploads in progress in dir/uploads, and the metadata in
// dir/registry.json, a snapshot, and dir/registry.log, a journal of the
// changes since. Blobs and snapshots are written whole and renamed into
// place, journal records appended whole, so a crash loses at most the
// change in progress. Two registries must not share a dir at the same
// time.
func NewDir(dir string) (Storage, error) {
	for _, sub := range []string{"blobs", "uploads"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("registry: storage: %w", err)
		}
	}
	// Uploads do not survive a restart: their state lived in memory.
	ups, err := os.ReadDir(filepath.Join(dir, "uploads"))
	if err != nil {
		return nil, fmt.Errorf("registry: storage: %w", err)
	}
	for _, e := range ups {
		os.Remove(filepath.Join(dir, "uploads", e.Name()))
	}
	return &dirStorage{dir: dir}, nil
}

type dirStorage struct {
	dir string

	mu      sync.Mutex
	journal *os.File // opened by the first AppendMeta
	size    int64    // of the journal's whole records: where the next goes
	sized   bool     // size is known: ReadMeta or WriteMeta set it
}

func (s *dirStorage) Open(d digest.Digest) (io.ReadSeekCloser, int64, error) {
	f, err := os.Open(blobPath(s.dir, d))
	if err != nil {
		return nil, 0, s.notFound(d, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("registry: open blob %s: %w", d, err)
	}
	return f, fi.Size(), nil
}

func (s *dirStorage) Stat(d digest.Digest) (int64, error) {
	fi, err := os.Stat(blobPath(s.dir, d))
	if err != nil {
		return 0, s.notFound(d, err)
	}
	return fi.Size(), nil
}

func (s *dirStorage) notFound(d digest.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("registry: blob %s: %w", d, ErrNotFound)
	}
	return fmt.Errorf("registry: blob %s: %w", d, err)
}

func (s *dirStorage) Create() (Upload, error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, "uploads"), "upload-")
	if err != nil {
		return nil, fmt.Errorf("registry: upload: %w", err)
	}
	return &fileUpload{dir: s.dir, f: f}, nil
}

func (s *dirStorage) Delete(d digest.Digest) error {
	if err := os.Remove(blobPath(s.dir, d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("registry: delete blob %s: %w", d, err)
	}
	return nil
}

func (s *dirStorage) ReadMeta() ([]byte, [][]byte, error) {
	snap, err := os.ReadFile(filepath.Join(s.dir, "registry.json"))
	if errors.Is(err, fs.ErrNotExist) {
		snap = nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("registry: storage: %w", err)
	}
	log, err := os.ReadFile(filepath.Join(s.dir, "registry.log"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("registry: storage: %w", err)
	}
	var recs [][]byte
	var whole int64
	for {
		rec, rest, ok := bytes.Cut(log, []byte("\n"))
		if !ok {
			break // the end, or a record a crash cut short
		}
		recs, log = append(recs, rec), rest
		whole += int64(len(rec)) + 1
	}
	s.mu.Lock()
	s.size, s.sized = whole, true
	s.mu.Unlock()
	return snap, recs, nil
}

func (s *dirStorage) AppendMeta(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		f, err := os.OpenFile(filepath.Join(s.dir, "registry.log"), os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("registry: storage: %w", err)
		}
		if !s.sized {
			if s.size, err = f.Seek(0, io.SeekEnd); err != nil {
				f.Close()
				return fmt.Errorf("registry: storage: %w", err)
			}
		}
		// A record a crash cut short, past size, is dropped.
		if err := f.Truncate(s.size); err != nil {
			f.Close()
			return fmt.Errorf("registry: storage: %w", err)
		}
		s.journal, s.sized = f, true
	}
	rec := append(b[:len(b):len(b)], '\n')
	n, err := s.journal.WriteAt(rec, s.size)
	if err != nil {
		// Drop what part was written, so the next record starts clean.
		s.journal.Truncate(s.size)
		return fmt.Errorf("registry: storage: write the journal: %w", err)
	}
	s.size += int64(n)
	return nil
}

func (s *dirStorage) WriteMeta(b []byte) error {
	f, err := os.CreateTemp(s.dir, "registry.json.")
	if err != nil {
		return fmt.Errorf("registry: storage: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(s.dir, "registry.json"))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("registry: storage: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Truncate(filepath.Join(s.dir, "registry.log"), 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("registry: storage: empty the journal: %w", err)
	}
	s.size, s.sized = 0, true
	return nil
}

// Digests lists the files under dir/blobs whose names are digests of an
// algorithm the registry verifies; it skips other files.
func (s *dirStorage) Digests() ([]digest.Digest, error) {
	var ds []digest.Digest
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA384, digest.SHA512} {
		es, err := os.ReadDir(filepath.Join(s.dir, "blobs", alg.String()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("registry: storage: %w", err)
		}
		for _, e := range es {
			if d := digest.NewDigestFromEncoded(alg, e.Name()); e.Type().IsRegular() && d.Validate() == nil {
				ds = append(ds, d)
			}
		}
	}
	return ds, nil
}

func (s *dirStorage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		return nil
	}
	err := s.journal.Close()
	s.journal = nil
	if err != nil {
		return fmt.Errorf("registry: storage: %w", err)
	}
	return nil
}

// fileUpload writes an upload to a file in dir/uploads and renames it
// into dir/blobs on commit.
type fileUpload struct {
	dir  string
	f    *os.File
	size int64
	done bool
}

func (u *fileUpload) Write(p []byte) (int, error) {
	if u.done {
		return 0, fmt.Errorf("registry: write to an ended upload")
	}
	n, err := u.f.Write(p)
	u.size += int64(n)
	return n, err
}

func (u *fileUpload) Size() int64 { return u.size }

func (u *fileUpload) Reader() (io.ReadCloser, error) {
	f, err := os.Open(u.f.Name())
	if err != nil {
		return nil, fmt.Errorf("registry: upload: %w", err)
	}
	return f, nil
}

func (u *fileUpload) Commit(d digest.Digest) error {
	if u.done {
		return fmt.Errorf("registry: commit an ended upload")
	}
	u.done = true
	name := u.f.Name()
	if err := u.f.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("registry: upload: %w", err)
	}
	dst := blobPath(u.dir, d)
	if _, err := os.Stat(dst); err == nil {
		os.Remove(name)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		os.Remove(name)
		return fmt.Errorf("registry: upload: %w", err)
	}
	if err := os.Rename(name, dst); err != nil {
		os.Remove(name)
		return fmt.Errorf("registry: upload: %w", err)
	}
	return nil
}

func (u *fileUpload) Cancel() error {
	if u.done {
		return nil
	}
	u.done = true
	u.f.Close()
	if err := os.Remove(u.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("registry: cancel upload: %w", err)
	}
	return nil
}
