package build

import (
	"crypto/sha1"
	"crypto/sha256"
	"debug/buildinfo"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime/debug"

	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/opencontainers/go-digest"
)

// Result is what Run built.
type Result struct {
	// Artifact is what the outputs hold: an *image.Image for one
	// platform, an *image.Index of Images for several.
	Artifact image.Artifact
	// Images holds one image per platform, in Recipe.Platforms order.
	Images []*image.Image
	// Report says what went into each image.
	Report Report
	// SBOMs holds each image's SPDX 2.3 JSON document (package sbom), in
	// Images order; nil with Recipe.SBOM.None. Referrers attaches them to
	// the images.
	SBOMs [][]byte
	// Provenance is the SLSA provenance v1 predicate of the build, JSON;
	// nil with Recipe.Provenance.None. Statements puts it, and the SBOMs,
	// into in-toto statements about the images.
	Provenance []byte

	sbomName    string // the image reference the SBOMs name
	subjectName string // the name the statements give the images
}

// Report says what went into each image a build made, for a bill of
// materials or a release note.
type Report struct {
	// Platforms holds one entry per image, in Result.Images order.
	Platforms []PlatformReport
}

// PlatformReport is what went into the image of one platform.
type PlatformReport struct {
	// Platform is the image's platform.
	Platform image.Platform
	// Digest is the image manifest's digest.
	Digest digest.Digest
	// Binary is the program.
	Binary BinaryReport
	// Base is the image built on; nil for minimage's base files or a
	// bare image.
	Base *BaseReport
	// Certs is the CA bundle; nil when left out.
	Certs *CertsReport
	// Zones are the time zones; nil when there are none.
	Zones *ZonesReport
	// Files are the regular files of Recipe.Files, in order, a tree's
	// in its order.
	Files []FileReport
}

// BinaryReport describes the program in an image.
type BinaryReport struct {
	// Path is where it is in the image, also the entrypoint.
	Path string
	// Package is the Go package compiled, "" for Recipe.Binaries.
	Package string
	// Digest is the sha256 of the file, SHA1 its SHA-1 (which SPDX
	// requires), and Size its length in bytes. Digest and SHA1 are
	// computed for the SBOM, in the read that builds the binary's layer;
	// with Recipe.SBOM.None they are left zero, which saves hashing the
	// binary twice over (a quarter of the compressor's CPU).
	Digest digest.Digest
	SHA1   [sha1.Size]byte
	Size   int64
	// BuildInfo is the build information Go embedded in the binary
	// (debug/buildinfo): Go version, main module, every dependency with
	// its version and go.sum hash, and the build settings. nil for a
	// binary not built by Go.
	BuildInfo *debug.BuildInfo
}

// BaseReport is the image a build started from.
type BaseReport struct {
	// Name is Base.Name(), such as "alpine:3.20"; it may be empty.
	Name string
	// Digest is the base image's manifest digest, as stored.
	Digest digest.Digest
}

// CertsReport is the CA bundle in an image.
type CertsReport struct {
	// Version is the version of the golang.org/x/crypto/x509roots/fallback
	// module the bundle comes from (certs.Version).
	Version string
	// Path is the file's path in the image.
	Path string
	// Count is the number of certificates in the file.
	Count int
}

// ZonesReport is the time zone data in an image.
type ZonesReport struct {
	// Release is the IANA tzdata release, such as "2025c".
	Release string
	// Zones are the zone and link names included, sorted.
	Zones []string
	// Localtime is the zone /etc/localtime points to, or "".
	Localtime string
	// Zip reports the zones as one zip file (ZONEINFO) rather than a
	// tree.
	Zip bool
}

// FileReport is one regular file Recipe.Files add to an image.
type FileReport struct {
	// Path is the file's path in the image; Source its host path, ""
	// for File.Data and File.FS.
	Path, Source string
	// Digest is the sha256 of the content, SHA1 its SHA-1, and Size its
	// length.
	Digest digest.Digest
	SHA1   [sha1.Size]byte
	Size   int64
}

// certsReport describes the bundle certs.Layer builds by default.
func certsReport() *CertsReport {
	return &CertsReport{Version: certs.Version(), Path: certs.Path, Count: certs.Count() - certs.Constrained()}
}

// fileHashes are what the report says of a file's bytes.
type fileHashes struct {
	sha256 digest.Digest
	sha1   [sha1.Size]byte
	size   int64
}

// hasher hashes what is written to it for a report (see fileHashes): a
// layer's read of a file writes it there (layer.Options.FileContents,
// gobinary.Options.Tee), so that the report describes the bytes the
// layer holds.
type hasher struct {
	h256, h1 hash.Hash
	size     int64
}

func newHasher() *hasher { return &hasher{h256: sha256.New(), h1: sha1.New()} }

func (h *hasher) Write(p []byte) (int, error) {
	h.h256.Write(p)
	h.h1.Write(p)
	h.size += int64(len(p))
	return len(p), nil
}

func (h *hasher) sums() fileHashes {
	fh := fileHashes{sha256: digest.NewDigest(digest.SHA256, h.h256), size: h.size}
	h.h1.Sum(fh.sha1[:0])
	return fh
}

// fill puts the hashes into br, whose size is set already.
func (h *hasher) fill(br *BinaryReport) {
	fh := h.sums()
	br.Digest, br.SHA1 = fh.sha256, fh.sha1
}

// hashFile returns the hashes and size of the file at path.
func hashFile(path string) (fileHashes, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileHashes{}, err
	}
	defer f.Close()
	h := newHasher()
	if _, err := io.Copy(h, f); err != nil {
		return fileHashes{}, fmt.Errorf("read %s: %w", path, err)
	}
	return h.sums(), nil
}

// binaryReport reads the size and Go build information of a binary, and
// with hash its digests: only when they are needed before the binary is
// read into its layer (an SBOM inside the image), since the layer's read
// can hash it otherwise (see hasher).
func binaryReport(path, dest, pkg string, hash bool) (BinaryReport, error) {
	var h fileHashes
	if hash {
		var err error
		if h, err = hashFile(path); err != nil {
			return BinaryReport{}, fmt.Errorf("build: binary: %w", err)
		}
	} else {
		st, err := os.Stat(path)
		if err != nil {
			return BinaryReport{}, fmt.Errorf("build: binary: %w", err)
		}
		h.size = st.Size()
	}
	br := BinaryReport{Path: dest, Package: pkg, Digest: h.sha256, SHA1: h.sha1, Size: h.size}
	if bi, err := buildinfo.ReadFile(path); err == nil {
		br.BuildInfo = bi
	}
	return br, nil
}
