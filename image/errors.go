package image

import "errors"

// Sentinel errors, to be tested with errors.Is. The errors this package
// returns wrap them with the file or blob concerned and the fix. A blob
// whose bytes do not match its descriptor, met by any transport, is
// layer.ErrDigestMismatch: each condition has one sentinel.
var (
	// ErrDuplicatePlatform reports two images of one platform in an index.
	ErrDuplicatePlatform = errors.New("duplicate platform")

	// ErrCorrupt reports a layout, tarball, index, manifest or config that
	// cannot be parsed or breaks the OCI rules.
	ErrCorrupt = errors.New("corrupt image data")

	// ErrNotFound reports what a layout, a tarball or a registry does
	// not hold: a tag, a platform, a repository, a manifest or a blob.
	// Every transport's errors wrap this one sentinel.
	ErrNotFound = errors.New("not found")

	// ErrInvalidTag reports a tag or reference that does not follow the
	// OCI or Docker grammar.
	ErrInvalidTag = errors.New("invalid tag")
)
