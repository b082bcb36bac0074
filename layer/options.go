package layer

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/minimage/minimage/layer/gzip"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Compression names how a layer's tar stream is compressed.
type Compression int

const (
	// Gzip compresses with the parallel, deterministic writer of
	// package layer/gzip (media type tar+gzip). It is the default because
	// every runtime and registry accepts it.
	Gzip Compression = iota
	// Zstd compresses with zstd (media type tar+zstd): smaller and faster
	// to decompress, but older runtimes cannot pull it.
	Zstd
	// Uncompressed stores the tar stream as it is (media type tar).
	Uncompressed
)

// Default compression levels, chosen from the measurements in
// BENCHMARKS.md.
const (
	// DefaultGzipLevel is the gzip level used when Format.Level is 0.
	// Through the whole layer pipeline on a 33 MB Go binary (bench/
	// BenchmarkLevels), level 2 runs as fast as level 1 (432 against 428
	// MiB/s on 2 cores) for a blob 1.5% smaller; level 6 is 2.3% smaller
	// again but 44% slower.
	DefaultGzipLevel = 2
	// DefaultZstdLevel is the zstd level used when Format.Level is 0:
	// klauspost/compress/zstd's SpeedDefault, roughly zstd -3, which on a
	// Go binary makes a blob smaller than gzip level 9 at gzip level 6's
	// speed.
	DefaultZstdLevel = 2
)

// DefaultSpillThreshold is the size of compressed blob, in bytes, that a
// layer holds in memory before it moves the blob to a temporary file:
// 4 MiB, which keeps the certificate, time zone and base layers in memory.
// Against 32 MiB, it costs no measurable speed (BenchmarkSpillThreshold,
// blobs of 5 to 39 MiB; BenchmarkBuild1GiB) and cuts the heap a build
// adds from 12-35 MiB to under 8 MiB; see BENCHMARKS.md.
const DefaultSpillThreshold = 4 << 20

// String returns "gzip", "zstd" or "none".
func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case Uncompressed:
		return "none"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

// MediaType returns the OCI layer media type for c.
func (c Compression) MediaType() string {
	switch c {
	case Zstd:
		return ocispec.MediaTypeImageLayerZstd
	case Uncompressed:
		return ocispec.MediaTypeImageLayer
	}
	return ocispec.MediaTypeImageLayerGzip
}

// ParseCompression parses "gzip", "zstd" or "none" (also "uncompressed").
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(s) {
	case "gzip", "":
		return Gzip, nil
	case "zstd":
		return Zstd, nil
	case "none", "uncompressed":
		return Uncompressed, nil
	}
	return 0, fmt.Errorf("layer: unknown compression %q; use gzip, zstd or none", s)
}

// Format is what decides a layer's bytes: the same entries built with equal
// Formats give byte-identical layers, whatever the Options around it. It is
// comparable, so it can serve as (part of) a cache key; the golden tests pin
// the digests of its zero value. The zero value is gzip at DefaultGzipLevel
// in blocks of layer/gzip's DefaultBlockSize, entries dated the Unix epoch.
type Format struct {
	// Compression selects gzip (the default), zstd or none.
	Compression Compression

	// Level is the compression level; 0 means the default for the
	// compression (DefaultGzipLevel, DefaultZstdLevel). Gzip takes 1 to 9,
	// zstd 1 to 4 (fastest, default, better, best). Uncompressed takes
	// only 0.
	Level int

	// BlockSize is the gzip block size in bytes, from gzip.MinBlockSize to
	// gzip.MaxBlockSize of package layer/gzip; 0 means its
	// DefaultBlockSize. Each block is compressed on its own, so the block
	// size changes the compressed bytes. Only Gzip takes a block size.
	BlockSize int

	// ModTime is the modification time of every entry, truncated to whole
	// seconds. The zero value means the Unix epoch; see SourceDateEpoch.
	// Times before 1970 are allowed; times outside the years 0 to 9999,
	// which an image config's JSON cannot hold, are not.
	ModTime time.Time
}

// Options control how a layer is built: its Format, and how the work runs,
// which never changes the bytes. The zero value is the documented default
// for every field: the zero Format, duplicate paths rejected, gzip blocks
// compressed GOMAXPROCS at a time, no limit on the builds running at once,
// blobs past DefaultSpillThreshold spilled to os.TempDir.
type Options struct {
	Format

	// Replace lets a later Add of an existing path replace the earlier
	// entry instead of failing with ErrDuplicate.
	Replace bool

	// Blocks is the number of gzip blocks compressed at once (see
	// layer/gzip's SetConcurrency); 0 means GOMAXPROCS, divided among the
	// builds of Limiter running when the build starts. It never changes
	// the bytes. Only Gzip takes it.
	Blocks int

	// Limiter, if set, bounds how many builds run at once among those
	// that share it; see Limiter. nil sets no bound: every build starts
	// at once, and with Blocks 0 each compresses GOMAXPROCS blocks at a
	// time. Share one Limiter among the builds of a program that runs
	// many at once.
	Limiter *Limiter

	// SpillThreshold is the number of compressed bytes held in memory
	// before the blob moves to a temporary file. 0 means
	// DefaultSpillThreshold; a negative value spills from the first byte.
	SpillThreshold int64

	// SpillDir is the directory for temporary files; "" means os.TempDir.
	// The files have no name (Linux's O_TMPFILE) or are unlinked as soon
	// as they are created where the operating system allows it, so
	// nothing is left behind on a crash. A blob spilled on the file system
	// it will be written to can be linked there rather than copied (see
	// Layer.Link and image/layout's SpillDir), and copied into a file
	// there by the kernel (a tarball; see Layer.Compressed).
	SpillDir string

	// SpillWriteback, on Linux, syncs a spill file in SpillDir to the
	// disk in the background as it is written, so that Layer.Link,
	// which syncs the file before it links it, waits only for its last
	// few MiB. Set it when the blob will be linked into an image layout
	// (with SpillDir from image/layout's SpillDir). Leave it unset when
	// the blob will be copied (into a tarball, say) or dropped: its
	// bytes would go to the disk for nothing, where the kernel may never
	// write a file dropped soon enough.
	SpillWriteback bool

	// Sink, if set, takes the compressed blob in place of memory and
	// spill files: Build writes it to Sink from the file's offset on
	// (which it leaves after the blob), and the Layer reads it back from
	// there through a handle of its own (a duplicate of the file
	// descriptor), so that it stays readable after Sink is closed,
	// renamed or removed. A writer that compresses a blob straight into
	// its place in a file uses it (image/tarball's File.Sink). Sink must
	// be a regular file open for reading and writing, not for
	// appending; change the blob's bytes afterwards only by replacing the
	// file, or the layer's bytes change too. A failed Build leaves what
	// it wrote there. SpillThreshold, SpillDir and SpillWriteback must be
	// zero with a Sink.
	Sink *os.File

	// Progress, if set, is called from the goroutine that runs Build as the
	// layer is written: about every MiB of tar input, and once at the end.
	Progress func(Progress)

	// Tee, if set, is written the compressed blob as it is produced, in
	// order, one call at a time, so that a caller can send it on (to a
	// registry, say) while the rest compresses. Its Write may keep no
	// reference to the bytes after it returns; an error from it fails
	// the build. The layer holds the whole blob as well.
	Tee io.Writer

	// FileContents, if set, is called by Build for each regular file
	// entry with its path in the layer ("/etc/app.conf"), just before
	// Build reads the file; Build writes the file's contents, as it reads
	// them into the layer, to the writer returned (nil: none), so that a
	// caller can hash exactly the bytes the layer holds without reading
	// the file again. Calls come in layer order, one at a time, from the
	// goroutine that runs Build, and each Build calls again; of a group
	// of hard links, only the path that carries the contents is called.
	// The writer's Write may keep no reference to the bytes after it
	// returns; an error from it fails the build. A layer that a Cache
	// returns without building calls nothing.
	FileContents func(path string) io.Writer
}

// Progress reports how far a build has come.
type Progress struct {
	// In is the number of uncompressed tar bytes written so far.
	In int64
	// Out is the number of compressed bytes produced so far.
	Out int64
}

// Attr holds the metadata of an entry: its permission bits and owner. The
// zero value is root-owned with the default mode for the entry's type.
type Attr struct {
	// Mode holds the permission bits (0o777) and optionally
	// fs.ModeSetuid, fs.ModeSetgid and fs.ModeSticky; other type bits are
	// ignored. 0 means the default for the entry's type (see the package
	// documentation).
	Mode fs.FileMode
	// UID and GID are the numeric owner and group.
	UID, GID int
	// Uname and Gname are the optional owner and group names.
	Uname, Gname string
	// ModTime is the entry's modification time, truncated to whole
	// seconds; the zero value means the layer's [Format.ModTime]. A hard
	// link has its target's, as it has its target's mode and owner.
	ModTime time.Time
}

// Validate reports whether f can build a layer: a known compression, a
// level and block size in range for it, and a modification time in the
// years 0 to 9999. Build calls it; callers that take a format from users can
// call it first.
func (f Format) Validate() error {
	if _, err := f.level(); err != nil {
		return err
	}
	if f.BlockSize != 0 {
		if f.Compression != Gzip {
			return fmt.Errorf("layer: block size %d set for %s compression; only gzip is compressed in blocks, so leave BlockSize 0", f.BlockSize, f.Compression)
		}
		if f.BlockSize < gzip.MinBlockSize || f.BlockSize > gzip.MaxBlockSize {
			return fmt.Errorf("layer: gzip block size %d bytes out of range; use %d (32 KiB) to %d (1 GiB), or 0 for the default %d (1 MiB)", f.BlockSize, gzip.MinBlockSize, gzip.MaxBlockSize, gzip.DefaultBlockSize)
		}
	}
	if err := checkTime(f.ModTime); err != nil {
		return fmt.Errorf("layer: ModTime %w", err)
	}
	return nil
}

// Validate reports whether o can build a layer: its Format is valid (see
// Format.Validate), Blocks is 0, or positive with gzip, and the spill
// fields are zero with a Sink. Build calls it;
// callers that parse options from users can call it first.
func (o Options) Validate() error {
	if err := o.Format.Validate(); err != nil {
		return err
	}
	if o.Sink != nil && (o.SpillThreshold != 0 || o.SpillDir != "" || o.SpillWriteback) {
		return fmt.Errorf("layer: Sink set with SpillThreshold, SpillDir or SpillWriteback; a blob written to a Sink is neither held in memory nor spilled, so leave them zero")
	}
	if o.Blocks != 0 {
		if o.Compression != Gzip {
			return fmt.Errorf("layer: %d blocks set for %s compression; only gzip is compressed in parallel blocks, so leave Blocks 0", o.Blocks, o.Compression)
		}
		if o.Blocks < 0 {
			return fmt.Errorf("layer: %d gzip blocks in flight; use 1 or more, or 0 for GOMAXPROCS", o.Blocks)
		}
	}
	return nil
}

func (f Format) level() (int, error) {
	switch f.Compression {
	case Gzip:
		if f.Level == 0 {
			return DefaultGzipLevel, nil
		}
		if f.Level < 1 || f.Level > 9 {
			return 0, fmt.Errorf("layer: gzip level %d out of range; use 1 (fastest) to 9 (smallest), or 0 for the default %d", f.Level, DefaultGzipLevel)
		}
	case Zstd:
		if f.Level == 0 {
			return DefaultZstdLevel, nil
		}
		if f.Level < 1 || f.Level > 4 {
			return 0, fmt.Errorf("layer: zstd level %d out of range; use 1 (fastest) to 4 (smallest), or 0 for the default %d", f.Level, DefaultZstdLevel)
		}
	case Uncompressed:
		if f.Level != 0 {
			return 0, fmt.Errorf("layer: level %d set for an uncompressed layer; leave Level 0, or choose gzip or zstd", f.Level)
		}
		return 0, nil
	default:
		return 0, fmt.Errorf("layer: unknown compression %d; use Gzip, Zstd or Uncompressed", int(f.Compression))
	}
	return f.Level, nil
}

func (f Format) modTime() time.Time {
	if f.ModTime.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return f.ModTime.Truncate(time.Second).UTC()
}
