// Package build does what "minimage build" does, as a library: a [Recipe]
// (a Go package or built binaries, platforms, a base, zones, certificates,
// user, environment, labels, ports, extra files, compression, outputs) goes
// in; [Run] checks it, compiles the package for each platform, assembles one
// image per platform (an index for several), writes the outputs and returns a
// [Result] with a [Report] of what went in: per platform the binary's full Go
// build information, the CA bundle's version, the tzdata release and zones,
// and the base's name and digest.
//
// # Checks before work
//
// Run refuses a recipe it cannot finish before it compiles or compresses
// anything: an unknown platform ("x86_64" suggests amd64), a bad port, a
// time an image config cannot hold, an unknown zone, a missing file, an
// output whose directory does not exist or whose name says an archive
// format minimage does not write, a registry reference that is not one,
// a base that has no image for a platform, fields that contradict each
// other (Bare with a Base, zones or AllowDynamic; Remote options on an
// output that is not a registry; remote options that contradict each
// other). Each of these errors wraps [ErrInvalid]. [Recipe.Validate] runs
// the same checks without reading a base, for tools that take recipes
// from their users.
//
// # Several images
//
// [RunAll] builds several recipes in one run, as a release of several
// programs needs: one go build per platform for all their packages
// (go build -o DIR/ PKG...), the shared layers built once, one layer cache,
// limiter and mount set for all, the images written and pushed at once,
// and a tarball that several recipes name written once with every image.
// minimage build runs it for several packages or a pattern (./cmd/...).
//
// # Registries
//
// A base may come from a registry ([RegistryBase], or [OpenBase] with a
// reference such as "ghcr.io/me/base:v1" that is not a path on disk), and
// an output may be one ([Registry]): Run then pushes the artifact it
// built, the same bytes and digest a layout or tarball output gets, with
// no layout in between. Its manifests and configs are checked against
// their digests when the recipe is checked; its layers are read only if
// an output needs their bytes: a push to the base's registry mounts them
// from the base's repository instead. Package image/remote does the
// talking; Output.Remote and RegistryBase's options configure it.
//
// # Bill of materials
//
// Run makes an SPDX 2.3 document for each platform image from the report
// (package sbom; Result.SBOMs): the program's modules and Go version, the
// CA bundle, the zones and every file it wrote, with their hashes. It
// attaches each to its image in every Registry output, as an OCI 1.1
// referrer that does not change the image's digest, and, as
// [SBOMOptions] asks, writes them to a directory, adds them to layout
// outputs as referrers, or puts them into the images. The same inputs
// give the same documents, byte for byte.
//
// # Compiling
//
// Run owns go build: CGO_ENABLED=0, -trimpath, GOOS and GOARCH from the
// platform, and GOARM, GOAMD64 or GOARM64 from its variant; GOFLAGS and the
// rest of the environment pass through. Ldflags, build tags and other flags
// come from [GoBuild]. With GoBuild.Cache set, the binaries stay in that
// directory between runs, and go build skips linking one that is up to
// date.
//
// # Overlap
//
// The work runs concurrently where it can without changing a byte: the
// shared layers (base files, CA bundle, zones, files) are built while
// go build runs; several platforms' go build run at once, GOMAXPROCS shared
// between them through go build's -p flag, and each binary is compressed
// while the next platform compiles. Every goroutine is joined before Run
// returns, also on error; cancelling the context interrupts go build and
// its children (they run in a process group of their own) and removes the
// temporary build directory.
//
// # Defaults
//
// A recipe's zero values are minimage's defaults: the platform
// linux/GOARCH of the running program, minimage's base files (package base),
// the Mozilla CA bundle (package certs), no zones, user nonroot (65532:65532)
// working in /home/nonroot as distroless's nonroot images do, gzip at the
// default level, and every time at the Unix epoch.
package build
