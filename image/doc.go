// Package image is minimage's model of OCI images: images, indexes and
// artifact manifests, built in memory from layers. Package gobinary checks
// and adds the Go programs that go into them.
//
// An [Image] is an immutable value: [New] gives an empty image for a
// [Platform], and every With… and Append method returns a new Image. An
// [Index] holds one image per platform, and maybe other manifests. A
// [Manifest] is an artifact that is not an image, such as an SBOM attached
// to an image as a referrer ([NewManifest]). All three are [Artifact]s.
//
// # The blob seam
//
// An Artifact lists the blobs it reaches ([Artifact.Blobs]), each of which
// opens with a context ([Blob.Open]). That is all a transport needs to
// write: package image/layout writes OCI image-layout directories,
// image/tarball single files that docker load, podman load, skopeo, crane
// and ctr accept, and a registry transport, or one of your own, pushes the
// same blobs. Reading goes the other way: a transport is a [Fetcher] of
// blobs by descriptor, and [Load] and [LoadImage] make the artifact a
// descriptor names, checking every manifest, index and config against its
// digest. [FromManifest], [FromConfig] and [IndexFromRaw] are the checked
// constructors Load uses, for transports that read otherwise.
//
// A value read keeps its bytes: its manifest, config and index bytes, and
// so its digests and media types (Docker's included), are the stored ones
// until it is changed. A changed value gets OCI media types; its layers
// keep their digests. [FromBase] builds a new image on one read.
//
// A layer read from a layout, tarball or registry re-opens its bytes on
// every read: it stays readable as long as they are there, with no Close
// to call in the right order.
//
// # Defaults
//
// A new image is created at the Unix epoch, runs as [DefaultUser]
// (65532:65532, "nonroot"), and has no entrypoint, environment, labels or
// annotations. Its JSON is encoded by encoding/json, which sorts map
// keys, so the same values always give the same bytes and digests; the
// only time in it is the created time, which history entries without
// their own also take. Media types are OCI's (image manifest, config and
// index v1).
package image
