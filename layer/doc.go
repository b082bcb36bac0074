// Package layer builds deterministic OCI image layers.
//
// A [Builder] collects entries (files from bytes, readers, host paths or an
// [io/fs.FS], directories, symlinks, hard links, and the entries of an
// existing tar stream) and [Builder.Build] turns them into a [Layer] in a
// single pass: the tar stream is written once, hashed with sha256 on its way
// into the compressor (the diffID), and the compressed bytes are hashed and
// counted on their way out (the digest and size). The uncompressed tar is
// never held in memory; the compressed blob is held once, in memory or, past
// [Options.SpillThreshold], in a temporary file without a name. Nothing is
// compressed twice, and nothing need be written twice: a writer can give the
// spill file a name ([Layer.Link]; image/layout does) or copy it in the
// kernel (io.Copy to an *os.File; image/tarball does). The blob stays
// readable for as long as the Layer value lives, or until [Layer.Release]
// frees it; see [Layer] for the rule.
//
// Builds start at once, however many there are. A program that runs many
// builds at once shares a [Limiter] in their [Options], which bounds how
// many run and so their memory.
//
// A layer's [Format] (compression, level, block size, time) decides its
// bytes; the rest of [Options] decides only how the work runs.
//
// # Reproducibility
//
// The same entries and [Options] give byte-identical layers on every machine,
// whatever GOMAXPROCS, umask, time zone, user, file system order or host file
// times. The rules, which are part of this package's compatibility promise:
//
//   - Entries are sorted by path, compared component by component, so every
//     directory comes immediately before its contents. Missing parent
//     directories are created with mode 0755, owned by 0:0 with no names.
//   - Every entry's modification time is [Format.ModTime], or its own
//     [Attr.ModTime] when set, truncated to whole seconds; the zero value
//     means the Unix epoch. [SourceDateEpoch]
//     reads SOURCE_DATE_EPOCH for callers that want it; this package never
//     reads the environment on its own.
//   - Modes, uid, gid and user and group names come from the [Attr] the
//     caller gives, never from the host. A zero Mode means the default: 0644
//     for files (0755 when a host or fs.FS file has any execute bit set), 0755
//     for directories, 0777 for symlinks.
//   - Tar headers carry no access or change times, no device numbers and no
//     host user names. Headers use the USTAR format and PAX records only where
//     USTAR cannot hold a value (long names, large sizes or ids).
//   - Hard links that point forward in the sorted order are turned round: the
//     first path of a group of hard links carries the content and the others
//     link to it, which extracts to the same files.
//   - Compression depends only on the bytes, the [Compression], the level
//     and, for gzip, the block size; never on how many goroutines ran.
//
// Changing a default that changes digests is a breaking change: the golden
// tests in this package pin them.
//
// # Paths
//
// Paths are slash-separated and stored relative to the root ("app", not
// "/app"). They are cleaned lexically ("a//b/./c" is "a/b/c"); an empty path,
// the root itself, a NUL byte, a ".." that climbs above the root, or a path
// whose parent is a file or symlink is rejected with [ErrInvalidPath] or
// [ErrNotDir]. Adding a path twice is an error ([ErrDuplicate]) unless
// [Options.Replace] is set; an explicit directory may override a parent that
// was created implicitly.
package layer
