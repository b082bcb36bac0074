package image

import "errors"

// Sentinel errors, to be tested with errors.Is. The errors this package
// returns wrap them with the file or blob concerned and the fix.
var (
	// ErrDuplicatePlatform reports two images of one platform in an index.
	ErrDuplicatePlatform = errors.New("duplicate platform")

	// ErrCorrupt reports a layout, tarball, index, manifest or config that
	// cannot be parsed or breaks the OCI rules.
	ErrCorrupt = errors.New("corrupt image data")

	// ErrBlobMismatch reports a blob whose bytes do not match its digest,
	// whether found on disk before a write or met while reading.
	ErrBlobMismatch = errors.New("blob does not match its digest")

	// ErrNotFound reports a tag or platform that a layout or tarball does
	// not hold.
	ErrNotFound = errors.New("not found")

	// ErrInvalidTag reports a tag or reference that does not follow the
	// OCI or Docker grammar.
	ErrInvalidTag = errors.New("invalid tag")
)
