// Package minimage assembles minimal OCI container images for Go programs,
// programmatically and without a container engine.
//
// A Go service built with CGO_ENABLED=0 needs almost nothing in its image:
// the binary, CA certificates for outbound TLS, the time zones it loads and
// an unprivileged user. minimage builds exactly that, reproducibly:
//
//	layer        deterministic tar layers, built in one pass:
//	             tar → sha256 (diffID) → compressor → sha256 (digest)
//	layer/gzip   the parallel gzip writer whose bytes never depend on how
//	             many goroutines ran; a drop-in for compress/gzip
//	mediatype    Docker's media types, the one home of each beyond OCI's
//	certs        the Mozilla CA bundle as a layer and as an x509.CertPool
//	tzdata       a chosen subset of IANA zoneinfo as a layer
//	base         /etc/passwd, /etc/group, /tmp and /home/nonroot: the files
//	             of a distroless-static base, as a layer
//	image        the model: OCI config, manifest, index and artifact
//	             manifests; the blob seam (Artifact, Blob, Fetcher, Load)
//	             every transport uses
//	gobinary     a Go program checked (ELF, architecture, static linking)
//	             and added to an image, its build information recorded
//	image/layout OCI image-layout directories, read and written (atomic,
//	             locked)
//	image/tarball one file for docker, podman, skopeo and crane: an OCI
//	             layout plus a docker manifest.json, read and written
//	image/rootfs the filesystem an image's layers make, whiteouts
//	             applied: streamed as one tar, or one file read
//	image/listing what a source holds, as minimage inspect shows it:
//	             text for people, streamed JSON for scripts
//	image/imagetest fixture images for Go tests
//	image/registrytest a registry for Go tests, with faults
//	build        a recipe (package or binary, platforms, base, zones…) in;
//	             go build run, images or an index out, with a report of
//	             what went in: what the command line runs
//	cmd/minimage the command line: flags → build.Recipe → outputs
//
// Imports point downwards only: layer/gzip knows nothing of images, layer
// knows nothing of manifests beyond a descriptor, certs, tzdata and base
// only produce layers, image composes them without reading ELF (gobinary
// does, over image's exported API), and the transports
// (image/layout, image/tarball) use only image's exported API; build
// composes the producers and the transports, and nothing imports the
// command line. A test
// (TestImportGraph) keeps it so.
//
// The same inputs and options give byte-identical blobs and digests on
// every machine; see the package documentation of layer for the rules.
package minimage
