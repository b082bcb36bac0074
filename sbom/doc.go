// Package sbom writes a software bill of materials for an image: one
// SPDX 2.3 JSON document per platform image, complete where scanners that
// look at the image afterwards are blind, and reproducible.
//
// [Generate] takes an [Input], which the caller fills from what a build
// knows (the binary and its Go build information, the CA bundle and time
// zone files the image holds, the base image) and returns the document's
// bytes. [FileName] names the file a document goes in and [MediaType] is
// its media type, for an OCI artifact that refers to the image.
//
// # What the document holds
//
//   - The document: SPDX-2.3, data license CC0-1.0, named after the image
//     and its platform, created at the image's created time, by
//     "Tool: minimage-VERSION". Its namespace ends in a UUID (version 5)
//     derived from the rest of the document, so equal documents have equal
//     namespaces and different ones different namespaces.
//   - The image, a package with primaryPackagePurpose CONTAINER, which the
//     document DESCRIBES; with [Input.Digest], its manifest digest as a
//     checksum and a pkg:oci purl.
//   - The base image, when there is one: a package with its manifest
//     digest and a pkg:oci purl, which the image is a DESCENDANT_OF.
//   - The program's main module, from its Go build information: purl
//     pkg:golang/PATH@VERSION, the revision it was built from and whether
//     the tree was modified (vcs.revision, vcs.modified). The image
//     CONTAINS it, and it CONTAINS the binary.
//   - One package per module the binary was built with (the module that
//     replaces it, where go.mod has a replace directive), which the main
//     module DEPENDS_ON: its purl, its module proxy download location, and
//     its go.sum h1: hash as a SHA256 checksum (a hash of the module's
//     files, as ko and syft also write it, so values can be compared).
//   - The Go standard library, named as syft names it so that grype and
//     trivy match it: "stdlib", pkg:golang/stdlib@1.x.y and the CPE
//     cpe:2.3:a:golang:go:1.x.y:-:*:*:*:*:*:*.
//   - Each [Component], such as the CA bundle ([CABundle], version the
//     golang.org/x/crypto/x509roots/fallback module, MPL-2.0) and the time
//     zone database ([TZData], version the IANA release): a package that
//     the image CONTAINS and that CONTAINS its files.
//   - Files with their SHA1 and SHA256: the binary, the CA bundle, each
//     zone file. Scanners that read the image do not see the last two.
//
// The relationships are DESCRIBES, CONTAINS, DEPENDS_ON and DESCENDANT_OF;
// GENERATED_FROM is not used, since syft drops its target when it reads a
// document. Every SPDXID matches SPDXRef-[A-Za-z0-9.-]+ and is unique,
// whatever the names and versions hold ("(devel)", "+incompatible",
// "+dirty").
//
// # Reproducible
//
// The same Input gives the same bytes on every machine: lists are sorted,
// times come from the Input (never the clock), and nothing is read from
// the host. Generate is safe for concurrent use.
package sbom
