package registry

import (
	"io"

	"github.com/opencontainers/go-digest"
)

// Storage keeps the bytes of a registry: blobs and manifests by digest,
// shared by all repositories, and uploads in progress. The Registry
// checks digests and keeps the metadata (repositories, tags, which blobs
// each holds); a Storage must allow concurrent reads, uploads and commits
// of different blobs. A Storage that outlives the process also implements
// MetadataStore.
type Storage interface {
	// Open returns a reader of blob d and its size; the caller closes
	// it. A missing blob is an error wrapping ErrNotFound.
	Open(d digest.Digest) (io.ReadSeekCloser, int64, error)
	// Stat returns the size of blob d, or an error wrapping ErrNotFound.
	Stat(d digest.Digest) (int64, error)
	// Create starts an upload.
	Create() (Upload, error)
	// Delete removes blob d; removing a missing blob is not an error.
	Delete(d digest.Digest) error
	// Close cancels the uploads in progress and frees what the Storage
	// holds that does not outlive it (files of an in-memory storage).
	Close() error
}

// MetadataStore is implemented by a Storage that keeps the registry's
// metadata, so that a Registry started again on it serves what it held.
// The metadata is a snapshot and a journal of the changes since it: a
// change costs a record, not a snapshot. The Registry calls these
// methods one at a time.
type MetadataStore interface {
	// ReadMeta returns the snapshot WriteMeta last stored (nil when
	// there is none) and the records AppendMeta added since, oldest
	// first. A last record cut short by a crash is left out.
	ReadMeta() (snapshot []byte, journal [][]byte, err error)
	// AppendMeta adds record b, which holds no newline, to the journal,
	// whole or not at all.
	AppendMeta(b []byte) error
	// WriteMeta stores snapshot b, replacing the last one atomically,
	// then empties the journal. A crash between the two leaves records
	// that the snapshot already holds, which the Registry replays
	// without harm.
	WriteMeta(b []byte) error
	// Digests lists the blobs and manifests it holds, so that New can
	// delete those that a crash left unlisted.
	Digests() ([]digest.Digest, error)
}

// Upload is a blob being written. It is used by one goroutine at a time.
type Upload interface {
	io.Writer
	// Size returns the number of bytes written.
	Size() int64
	// Reader returns a reader of the bytes written so far; the caller
	// closes it before writing again.
	Reader() (io.ReadCloser, error)
	// Commit stores the bytes written as blob d and ends the upload. The
	// caller has checked them against d. If blob d exists, the bytes
	// are dropped.
	Commit(d digest.Digest) error
	// Cancel drops the bytes written and ends the upload.
	Cancel() error
}
