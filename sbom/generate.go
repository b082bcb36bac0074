package sbom

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// MediaType is the media type of the documents Generate writes, for an
// OCI artifact's artifactType and layer.
const MediaType = "application/spdx+json"

// namespaceBase starts every documentNamespace; a UUID derived from the
// document's content ends it.
const namespaceBase = "https://github.com/minimage/minimage/spdx/"

// Generate returns the SPDX 2.3 JSON document for the image that in describes,
// ending in a newline. Equal inputs give equal bytes, on any machine: the
// creation time is in.Created, every list is sorted, and the document
// namespace is derived from the rest of the document. An Input that is
// incomplete or malformed gives an error wrapping ErrInvalidInput.
func Generate(in Input) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	g := &generator{ids: map[string]int{docID: 0}}
	g.build(in)
	g.sortRelationships()
	doc := g.doc
	doc.SPDXVersion, doc.DataLicense, doc.SPDXID = spdxVersion, dataLicense, docID
	doc.Name = in.Name + " (" + in.Platform + ")"
	tool := in.Tool
	if tool == "" {
		tool = defaultTool()
	}
	doc.CreationInfo = creationInfo{Created: spdxTime(in.Created), Creators: []string{"Tool: " + tool}}

	// The namespace names this document: a UUID (version 5) of the
	// document without it, so equal documents share one and any change
	// gives another, as SPDX 2.3 section 6.5 allows.
	body, err := encode(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	doc.DocumentNamespace = namespaceBase + idPart(repoName(in.Name)) + "-" + uuid5(uuidNamespaceURL, namespaceBase+hex.EncodeToString(sum[:]))
	return encode(doc)
}

// FileName returns the name of the file that holds the document of the
// image called name for platform, "NAME-OS-ARCH.spdx.json" (with
// "-VARIANT" before the extension when the platform has one): name is an
// image reference or a plain name, of which the last path element counts,
// without tag or digest. "example.com/team/app:v1" and "linux/arm64/v8"
// give "app-linux-arm64-v8.spdx.json". Characters other than letters,
// digits, '.', '_' and '-' become '-'.
func FileName(name, platform string) string {
	base := fileSafe(path.Base(repoName(name)))
	if base == "" || base == "." || base == ".." {
		base = "image"
	}
	return base + "-" + fileSafe(strings.ReplaceAll(platform, "/", "-")) + ".spdx.json"
}

func (in *Input) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sbom: "+format+": %w", append(args, ErrInvalidInput)...)
	}
	if strings.TrimSpace(in.Name) == "" {
		return bad("Input.Name is empty; give the image's reference, such as example.com/app:v1")
	}
	if p := strings.Split(in.Platform, "/"); len(p) < 2 || len(p) > 3 || slices.Contains(p, "") {
		return bad("Input.Platform %q is not os/arch[/variant]; give one such as linux/amd64", in.Platform)
	}
	if in.Digest != "" {
		if err := in.Digest.Validate(); err != nil {
			return bad("Input.Digest %q: %v", in.Digest, err)
		}
	}
	seen := make(map[string]bool)
	checkFile := func(what string, f File) error {
		switch {
		case !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/":
			return bad("%s path %q is not a clean absolute path to a file, such as /app", what, f.Path)
		case f.SHA1 == [sha1.Size]byte{} || f.SHA256 == [sha256.Size]byte{}:
			return bad("%s %s has no hashes; make it with NewFile or HashFile", what, f.Path)
		case seen[f.Path]:
			return bad("%s %s is listed twice; list each file once", what, f.Path)
		}
		seen[f.Path] = true
		return nil
	}
	if in.Binary.Path != "" {
		if err := checkFile("Input.Binary", in.Binary); err != nil {
			return err
		}
	} else if in.BuildInfo != nil {
		return bad("Input.BuildInfo is set but Input.Binary is not; give the binary's path and hashes")
	}
	for i, c := range in.Components {
		if c.Name == "" {
			return bad("Input.Components[%d] has no name", i)
		}
		isRef := strings.HasPrefix(c.License, "LicenseRef-")
		switch {
		case isRef && !isIDString(strings.TrimPrefix(c.License, "LicenseRef-")):
			return bad("component %s: license %q is not LicenseRef- followed by letters, digits, '.' or '-'", c.Name, c.License)
		case isRef && c.LicenseText == "":
			return bad("component %s: license %s needs its LicenseText", c.Name, c.License)
		case !isRef && c.LicenseText != "":
			return bad("component %s: LicenseText is only for a LicenseRef- license, not %q", c.Name, c.License)
		}
		for _, f := range c.Files {
			if err := checkFile("component "+c.Name+" file", f); err != nil {
				return err
			}
		}
	}
	if b := in.Base; b != nil {
		if b.Name == "" {
			return bad("Input.Base.Name is empty; give the base image's reference")
		}
		if err := b.Digest.Validate(); err != nil {
			return bad("Input.Base.Digest %q: %v; give the base's manifest digest", b.Digest, err)
		}
	}
	return nil
}

// generator accumulates the document's elements.
type generator struct {
	doc document
	ids map[string]int // SPDXIDs given out, and the order they were given in
}

func (g *generator) build(in Input) {
	img := g.imagePackage(in)
	g.relate(docID, relDescribes, img)

	if in.Base != nil {
		g.relate(img, relDescendantOf, g.basePackage(in))
	}
	if in.Binary.Path != "" {
		var owner string
		if in.BuildInfo != nil {
			owner = g.goPackages(in.BuildInfo, in.Binary)
		} else {
			owner = g.programPackage(in.Binary)
		}
		g.relate(img, relContains, owner)
		g.relate(owner, relContains, g.addFile(in.Binary, "BINARY"))
	}
	comps := slices.Clone(in.Components)
	slices.SortStableFunc(comps, func(a, b Component) int {
		return cmpTuple(a.Name, b.Name, a.Version, b.Version)
	})
	for _, c := range comps {
		g.relate(img, relContains, g.component(c))
	}
}

func (g *generator) imagePackage(in Input) string {
	repo, tag, _ := splitRef(in.Name)
	p := pkg{
		SPDXID:                g.id("Image", repo),
		Name:                  repo,
		VersionInfo:           tag,
		DownloadLocation:      noAssertion,
		PrimaryPackagePurpose: "CONTAINER",
		BuiltDate:             spdxTime(in.Created),
		Comment:               "A " + in.Platform + " container image.",
	}
	if in.Digest != "" {
		if p.VersionInfo == "" {
			p.VersionInfo = in.Digest.String()
		}
		p.Checksums = digestChecksum(in.Digest)
		p.ExternalRefs = []externalRef{purlRef(ociPURL(repo, tag, in.Digest.String(), platformArch(in.Platform)))}
	}
	return g.addPackage(p)
}

func (g *generator) basePackage(in Input) string {
	b := in.Base
	repo, tag, _ := splitRef(b.Name)
	version := tag
	if version == "" {
		version = b.Digest.String()
	}
	return g.addPackage(pkg{
		SPDXID:                g.id("BaseImage", repo),
		Name:                  repo,
		VersionInfo:           version,
		DownloadLocation:      noAssertion,
		Checksums:             digestChecksum(b.Digest),
		ExternalRefs:          []externalRef{purlRef(ociPURL(repo, tag, b.Digest.String(), platformArch(in.Platform)))},
		PrimaryPackagePurpose: "CONTAINER",
		Comment:               "The image this one was built on.",
	})
}

// programPackage adds the package of a program without Go build
// information, named after its file.
func (g *generator) programPackage(bin File) string {
	return g.addPackage(pkg{
		SPDXID:                g.id("Package-program", strings.TrimPrefix(bin.Path, "/")),
		Name:                  path.Base(bin.Path),
		DownloadLocation:      noAssertion,
		FilesAnalyzed:         true,
		VerificationCode:      verification(bin),
		PrimaryPackagePurpose: "APPLICATION",
		Comment:               "A program without Go build information: what it was built from is not known.",
	})
}

func (g *generator) component(c Component) string {
	p := pkg{
		SPDXID:           g.id("Package", c.Name, c.Version),
		Name:             c.Name,
		VersionInfo:      c.Version,
		Originator:       c.Originator,
		DownloadLocation: or(c.DownloadLocation, noAssertion),
		LicenseDeclared:  or(c.License, noAssertion),
		Comment:          c.Comment,
	}
	if c.LicenseText != "" && !slices.ContainsFunc(g.doc.Licenses, func(l extractedLicense) bool { return l.LicenseID == c.License }) {
		g.doc.Licenses = append(g.doc.Licenses, extractedLicense{LicenseID: c.License, ExtractedText: c.LicenseText})
	}
	files := slices.Clone(c.Files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	var ids []string
	for _, f := range files {
		ids = append(ids, g.addFile(f, ""))
	}
	if len(files) > 0 {
		p.FilesAnalyzed = true
		p.VerificationCode = verification(files...)
	}
	id := g.addPackage(p)
	for _, f := range ids {
		g.relate(id, relContains, f)
	}
	return id
}

func (g *generator) addFile(f File, fileType string) string {
	sf := file{
		SPDXID:           g.id("File", strings.TrimPrefix(f.Path, "/")),
		FileName:         "." + f.Path,
		Checksums:        fileChecksums(f),
		LicenseConcluded: noAssertion,
		CopyrightText:    noAssertion,
	}
	if fileType != "" {
		sf.FileTypes = []string{fileType}
	}
	g.doc.Files = append(g.doc.Files, sf)
	return sf.SPDXID
}

// addPackage adds p, filling the license fields it leaves empty, and
// returns its SPDXID.
func (g *generator) addPackage(p pkg) string {
	p.LicenseConcluded = or(p.LicenseConcluded, noAssertion)
	p.LicenseDeclared = or(p.LicenseDeclared, noAssertion)
	p.CopyrightText = or(p.CopyrightText, noAssertion)
	g.doc.Packages = append(g.doc.Packages, p)
	return p.SPDXID
}

func (g *generator) relate(a, typ, b string) {
	g.doc.Relationships = append(g.doc.Relationships, relationship{Element: a, Type: typ, Related: b})
}

// id returns a new SPDXID "SPDXRef-KIND-PART-PART…": each part with the
// characters SPDX does not allow replaced, and a "-2", "-3"… suffix where
// it would repeat an ID already given. Elements are added in a fixed
// order, so equal inputs give equal IDs.
func (g *generator) id(kind string, parts ...string) string {
	id := "SPDXRef-" + kind
	for _, p := range parts {
		if p = idPart(p); p != "" {
			id += "-" + p
		}
	}
	unique := id
	for n := 2; g.has(unique); n++ {
		unique = fmt.Sprintf("%s-%d", id, n)
	}
	g.ids[unique] = len(g.ids)
	return unique
}

func (g *generator) has(id string) bool {
	_, ok := g.ids[id]
	return ok
}

// sortRelationships orders the relationships by their element, in the
// order the elements were added (the document first), then by type and
// related element, so that each element's relationships read together.
func (g *generator) sortRelationships() {
	slices.SortStableFunc(g.doc.Relationships, func(a, b relationship) int {
		return cmp.Or(
			cmp.Compare(g.ids[a.Element], g.ids[b.Element]),
			strings.Compare(a.Type, b.Type),
			cmp.Compare(g.ids[a.Related], g.ids[b.Related]))
	})
}

// idPart maps s to the characters an SPDXID may hold, letters, digits, '.'
// and '-': '+' becomes '.', so that "v1.0.0+incompatible" stays apart from
// "v1.0.0-incompatible" and Etc/GMT+1 from Etc/GMT-1, and any other
// character becomes '-'. Dashes at either end are dropped.
func idPart(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case isIDByte(c):
		case c == '+':
			b[i] = '.'
		default:
			b[i] = '-'
		}
	}
	return strings.Trim(string(b), "-")
}

func isIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

func isIDString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIDByte(s[i]) {
			return false
		}
	}
	return s != ""
}

// verification returns the SPDX package verification code of files: the
// SHA1 of their sorted, concatenated hex SHA1s (SPDX 2.3 section 7.9).
func verification(files ...File) *verificationCode {
	sums := make([]string, len(files))
	for i, f := range files {
		sums[i] = hex.EncodeToString(f.SHA1[:])
	}
	slices.Sort(sums)
	sum := sha1.Sum([]byte(strings.Join(sums, "")))
	return &verificationCode{Value: hex.EncodeToString(sum[:])}
}

func fileChecksums(f File) []checksum {
	return []checksum{
		{Algorithm: "SHA1", Value: hex.EncodeToString(f.SHA1[:])},
		{Algorithm: "SHA256", Value: hex.EncodeToString(f.SHA256[:])},
	}
}

// digestChecksum returns an OCI digest as an SPDX checksum; nil for an
// algorithm SPDX does not name.
func digestChecksum(d digest.Digest) []checksum {
	switch d.Algorithm() {
	case digest.SHA256:
		return []checksum{{Algorithm: "SHA256", Value: d.Encoded()}}
	case digest.SHA384:
		return []checksum{{Algorithm: "SHA384", Value: d.Encoded()}}
	case digest.SHA512:
		return []checksum{{Algorithm: "SHA512", Value: d.Encoded()}}
	}
	return nil
}

// splitRef splits an image reference into repository, tag and digest,
// each of the last two empty when absent.
func splitRef(ref string) (repo, tag, dgst string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref, dgst = ref[:i], ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref, tag = ref[:i], ref[i+1:]
	}
	return ref, tag, dgst
}

func repoName(ref string) string {
	repo, _, _ := splitRef(ref)
	return repo
}

func platformArch(platform string) string {
	p := strings.Split(platform, "/")
	return p[1]
}

func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !isIDByte(c) && c != '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// spdxTime formats t as SPDX wants it: UTC, to the second, with a Z; the
// zero time stands for the Unix epoch.
func spdxTime(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func encode(doc document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("sbom: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// defaultTool names this module and the version of it the running program
// was built with.
func defaultTool() string {
	const module = "github.com/minimage/minimage"
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		mods := append([]*debug.Module{&bi.Main}, bi.Deps...)
		for _, m := range mods {
			if m.Path != module {
				continue
			}
			if m.Replace != nil {
				m = m.Replace
			}
			if m.Version != "" && m.Version != "(devel)" {
				v = m.Version
			}
		}
	}
	return "minimage-" + v
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cmpTuple compares (a1, a2) with (b1, b2).
func cmpTuple(a1, b1, a2, b2 string) int {
	if c := strings.Compare(a1, b1); c != 0 {
		return c
	}
	return strings.Compare(a2, b2)
}
