// Package registry is an OCI distribution registry (spec 1.1) as an
// http.Handler: the server behind registrytest.New and "minimage
// registry serve".
//
// It serves pulls (manifests by tag and digest, blobs with range
// requests), pushes (monolithic, POST then PUT, chunked PATCH with
// in-order checks), cross-repository mounts (from a repository the
// client names and may pull), deletes, tag listing with
// pagination and the referrers API, for sha256 and sha512 digests. Every
// blob and manifest is checked against its digest when it arrives, and an
// image manifest is refused while a blob or child manifest it names is
// missing from its repository. Errors use the spec's JSON error bodies and
// codes. Options add basic or bearer-token authentication, a read-only
// mode and the slowest rate a request body may arrive at.
//
// [Registry.Listen] puts it on a network address, as "minimage registry
// serve" does: HTTPS with a certificate, a bound on connections, and no
// password sent in clear beyond loopback unless asked for.
//
// It is a registry for tests and CI, not for production.
//
// Blobs are content-addressed and shared between repositories; each
// repository records which blobs and manifests it holds, its tags, and
// which manifests name a subject. A [Storage] keeps the bytes: [NewMemory]
// holds small blobs in memory and larger ones in files, [NewDir] keeps
// everything in a directory that survives a restart.
//
// The package depends on the standard library, go-digest and image-spec
// only, and not on package testing.
package registry
