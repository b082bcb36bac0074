package sbom

import (
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/opencontainers/go-digest"
)

// Input describes one platform image: everything Generate puts in its
// document. Generate reads it and keeps nothing.
type Input struct {
	// Name is the image's reference, such as "example.com/app:v1", or a
	// plain name such as "app". It names the document and the image
	// package. Required.
	Name string

	// Platform is the image's platform, "os/arch" or "os/arch/variant",
	// such as "linux/amd64". Required.
	Platform string

	// Created is the image's created time. It is the document's creation
	// time and the image package's build date, so equal images give
	// equal documents. The zero value stands for the Unix epoch, the
	// time minimage gives images by default.
	Created time.Time

	// Digest is the digest of the image's manifest, when it is known. It
	// gives the image package a checksum and a pkg:oci purl. Leave it
	// empty for a document that goes into the image it describes, whose
	// digest cannot be known.
	Digest digest.Digest

	// Binary is the program file in the image with its hashes; a zero
	// Path means the image holds no program.
	Binary File

	// BuildInfo is Binary's Go build information, as debug/buildinfo.Read
	// returns it; nil for a program not built by Go. It gives the main
	// module, every module dependency and the Go standard library.
	BuildInfo *debug.BuildInfo

	// Components are the other files the image holds, grouped by the
	// upstream release they come from, such as CABundle and TZData. Their
	// order does not matter.
	Components []Component

	// Base is the image this one was built on, or nil.
	Base *Base

	// Tool is the document's creator, "minimage-" and a version, such as
	// "minimage-v1.2.0". Empty means "minimage-" and the version of the
	// minimage module compiled into the running program, or "devel".
	Tool string
}

// File is a regular file in the image and its hashes.
type File struct {
	// Path is the file's absolute, slash-separated path in the image,
	// such as "/etc/ssl/certs/ca-certificates.crt".
	Path string
	// SHA1 and SHA256 are the hashes of the file's bytes. SPDX 2.3
	// requires SHA1 for every file; SHA256 is what scanners compare.
	SHA1   [sha1.Size]byte
	SHA256 [sha256.Size]byte
}

// NewFile returns the File at path holding data.
func NewFile(path string, data []byte) File {
	return File{Path: path, SHA1: sha1.Sum(data), SHA256: sha256.Sum256(data)}
}

// HashFile returns the File at path whose bytes r yields, reading r to
// its end; use it for a program too large to hold in memory.
func HashFile(path string, r io.Reader) (File, error) {
	h1, h256 := sha1.New(), sha256.New()
	if _, err := io.Copy(io.MultiWriter(h1, h256), r); err != nil {
		return File{}, fmt.Errorf("sbom: hash %s: %w", path, err)
	}
	f := File{Path: path}
	h1.Sum(f.SHA1[:0])
	h256.Sum(f.SHA256[:0])
	return f, nil
}

// Component is a set of files the image holds that come from one upstream
// release and are not part of the program, such as the CA bundle or the
// time zone database. It becomes one package that contains its files.
type Component struct {
	// Name is the package name, such as "ca-certificates". Required.
	Name string
	// Version is the upstream release, such as "2025c".
	Version string
	// License is the SPDX license expression the upstream declares, such
	// as "MPL-2.0"; empty means NOASSERTION. A license that is not on the
	// SPDX list is a single "LicenseRef-" identifier with LicenseText.
	License string
	// LicenseText is the text of a LicenseRef- License, required with one
	// and refused otherwise.
	LicenseText string
	// Originator is who made the content, in SPDX form, such as
	// "Organization: Mozilla".
	Originator string
	// DownloadLocation is where the upstream release can be fetched; empty
	// means NOASSERTION.
	DownloadLocation string
	// Comment says where the files came from and how they were changed.
	Comment string
	// Files are the component's files in the image.
	Files []File
}

// Base is the image an image was built on.
type Base struct {
	// Name is the reference the base was given by, such as
	// "gcr.io/distroless/static:nonroot". Required.
	Name string
	// Digest is the digest of the base's manifest for the image's
	// platform (not of an index). Required.
	Digest digest.Digest
}

// CABundle returns the Component for the CA bundle that package certs
// writes: Mozilla's root store as the Go module
// golang.org/x/crypto/x509roots/fallback packages it, at version (what
// certs.Version returns), under MPL-2.0.
func CABundle(version string, files ...File) Component {
	c := Component{
		Name:       "ca-certificates",
		Version:    version,
		License:    "MPL-2.0",
		Originator: "Organization: Mozilla",
		Comment:    "The roots of Mozilla's NSS trust store as the Go module " + caModule + " " + version + " packages them, written as a PEM bundle by minimage.",
		Files:      files,
	}
	if version != "" {
		c.DownloadLocation = proxyURL(caModule, version)
	}
	return c
}

// caModule is the Go module the CA bundle comes from.
const caModule = "golang.org/x/crypto/x509roots/fallback"

// TZData returns the Component for the time zone files that package
// tzdata writes: IANA time zone database release (such as "2025c", what
// tzdata.Release holds), in the form the Go toolchain's
// lib/time/zoneinfo.zip holds it; the data is in the public domain.
func TZData(release string, files ...File) Component {
	c := Component{
		Name:        "tzdata",
		Version:     release,
		License:     "LicenseRef-tzdata-public-domain",
		LicenseText: "The data of the IANA time zone database is in the public domain, as the LICENSE file of each tz release states.",
		Originator:  "Organization: Internet Assigned Numbers Authority (IANA)",
		Comment:     "Compiled zone files of the IANA time zone database as the Go toolchain's lib/time/zoneinfo.zip holds them, written by minimage.",
		Files:       files,
	}
	if release != "" {
		c.DownloadLocation = "https://data.iana.org/time-zones/releases/tzdata" + release + ".tar.gz"
	}
	return c
}
