package image

import (
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FromBase returns a new image built on base, such as one taken from
// Layout.Image: base's layers come first, and its config (runtime config,
// labels, history, platform) is inherited and can be overridden with the
// With… methods. The new image is created at the Unix epoch (see
// WithCreated), has none of base's manifest annotations nor its subject,
// gets an OCI manifest (base's Docker layer media types become the OCI
// ones, with the same digests), and records
// base in org.opencontainers.image.base.digest (base's manifest digest)
// and, when name is not empty, org.opencontainers.image.base.name (a
// reference such as "docker.io/library/alpine:3.20").
func FromBase(base *Image, name string) *Image {
	n := base.clone()
	epoch := time.Unix(0, 0).UTC()
	n.config.Created = &epoch
	n.annotations, n.subject = nil, nil
	n.annotations = setOrDelete(n.annotations, ocispec.AnnotationBaseImageDigest, base.Digest().String())
	n.annotations = setOrDelete(n.annotations, ocispec.AnnotationBaseImageName, name)
	return n
}
