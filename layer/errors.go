package layer

import "errors"

// Sentinel errors, to be tested with errors.Is. The errors this package
// returns wrap them with the path and the rule that was broken.
var (
	// ErrInvalidPath reports a path that is empty, names the root, holds a
	// NUL byte or climbs above the root with "..".
	ErrInvalidPath = errors.New("invalid path")

	// ErrDuplicate reports a path added twice without Options.Replace.
	ErrDuplicate = errors.New("duplicate path")

	// ErrNotDir reports a path whose parent is a file or a symlink.
	ErrNotDir = errors.New("parent is not a directory")

	// ErrLinkTarget reports a hard link whose target is not a regular file
	// of the same layer.
	ErrLinkTarget = errors.New("bad hard link target")

	// ErrSizeMismatch reports content whose length differs from the size
	// the caller declared, or a host file that changed while it was read.
	ErrSizeMismatch = errors.New("content size mismatch")

	// ErrDigestMismatch reports a blob whose bytes do not match its digest.
	ErrDigestMismatch = errors.New("digest mismatch")

	// ErrInvalidTar reports a tar stream that cannot be read or holds an
	// entry type a layer cannot carry.
	ErrInvalidTar = errors.New("invalid tar stream")

	// ErrInvalidAttr reports an Attr that a tar header cannot carry, such
	// as a negative UID or GID.
	ErrInvalidAttr = errors.New("invalid attributes")

	// ErrReleased reports an open of a Layer after its Release.
	ErrReleased = errors.New("layer released")
)
