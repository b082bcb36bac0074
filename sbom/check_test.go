package sbom

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The tests read documents into these types, written from the SPDX 2.3
// specification rather than shared with the package, so that a field the
// package names wrongly is missing here.

type tDoc struct {
	SPDXVersion       string `json:"spdxVersion"`
	DataLicense       string `json:"dataLicense"`
	SPDXID            string `json:"SPDXID"`
	Name              string `json:"name"`
	DocumentNamespace string `json:"documentNamespace"`
	CreationInfo      struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	Packages      []tPackage `json:"packages"`
	Files         []tFile    `json:"files"`
	Relationships []struct {
		Element string `json:"spdxElementId"`
		Type    string `json:"relationshipType"`
		Related string `json:"relatedSpdxElement"`
	} `json:"relationships"`
	Licenses []struct {
		ID   string `json:"licenseId"`
		Text string `json:"extractedText"`
	} `json:"hasExtractedLicensingInfos"`
}

type tPackage struct {
	SPDXID           string `json:"SPDXID"`
	Name             string `json:"name"`
	VersionInfo      string `json:"versionInfo"`
	DownloadLocation string `json:"downloadLocation"`
	FilesAnalyzed    *bool  `json:"filesAnalyzed"`
	VerificationCode *struct {
		V string `json:"packageVerificationCodeValue"`
	} `json:"packageVerificationCode"`
	Checksums       []tChecksum `json:"checksums"`
	SourceInfo      string      `json:"sourceInfo"`
	LicenseDeclared string      `json:"licenseDeclared"`
	Comment         string      `json:"comment"`
	ExternalRefs    []struct {
		Category string `json:"referenceCategory"`
		Type     string `json:"referenceType"`
		Locator  string `json:"referenceLocator"`
	} `json:"externalRefs"`
	Purpose   string `json:"primaryPackagePurpose"`
	BuiltDate string `json:"builtDate"`
}

type tFile struct {
	SPDXID    string      `json:"SPDXID"`
	FileName  string      `json:"fileName"`
	Checksums []tChecksum `json:"checksums"`
}

type tChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

func (p tPackage) ref(typ string) string {
	for _, r := range p.ExternalRefs {
		if r.Type == typ {
			return r.Locator
		}
	}
	return ""
}

func (p tPackage) checksum(alg string) string {
	for _, c := range p.Checksums {
		if c.Algorithm == alg {
			return c.Value
		}
	}
	return ""
}

func parseDoc(t testing.TB, data []byte) tDoc {
	t.Helper()
	var d tDoc
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("document does not decode: %v", err)
	}
	return d
}

var (
	spdxIDRE   = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	spdxTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	uuid5RE    = regexp.MustCompile(`-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	hexRE      = map[string]*regexp.Regexp{
		"SHA1":   regexp.MustCompile(`^[0-9a-f]{40}$`),
		"SHA256": regexp.MustCompile(`^[0-9a-f]{64}$`),
		"SHA512": regexp.MustCompile(`^[0-9a-f]{128}$`),
	}
)

// checkDocument checks what every document must satisfy and returns it
// decoded: the fixed header, SPDXIDs well formed and unique, every
// relationship between elements that exist and of the kinds the package
// writes, one tree from the document down to every element, each file in
// exactly one package whose verification code matches, checksums in hex,
// and purls and CPEs that parse.
func checkDocument(t testing.TB, data []byte) tDoc {
	t.Helper()
	d := parseDoc(t, data)
	if d.SPDXVersion != "SPDX-2.3" || d.DataLicense != "CC0-1.0" || d.SPDXID != "SPDXRef-DOCUMENT" {
		t.Errorf("header: %s %s %s", d.SPDXVersion, d.DataLicense, d.SPDXID)
	}
	if !spdxTimeRE.MatchString(d.CreationInfo.Created) {
		t.Errorf("created %q is not an SPDX time", d.CreationInfo.Created)
	}
	if len(d.CreationInfo.Creators) != 1 || !strings.HasPrefix(d.CreationInfo.Creators[0], "Tool: minimage-") {
		t.Errorf("creators %q, want one Tool: minimage-…", d.CreationInfo.Creators)
	}
	if !strings.HasPrefix(d.DocumentNamespace, "https://") || !uuid5RE.MatchString(d.DocumentNamespace) {
		t.Errorf("namespace %q is not an https URI ending in a version 5 UUID", d.DocumentNamespace)
	}

	kind := map[string]string{d.SPDXID: "document"}
	add := func(id, k string) {
		if !spdxIDRE.MatchString(id) {
			t.Errorf("%s SPDXID %q does not match %s", k, id, spdxIDRE)
		}
		if _, dup := kind[id]; dup {
			t.Errorf("SPDXID %q is used twice", id)
		}
		kind[id] = k
	}
	pkgs := make(map[string]tPackage)
	for _, p := range d.Packages {
		add(p.SPDXID, "package")
		pkgs[p.SPDXID] = p
		if p.Name == "" || p.DownloadLocation == "" || p.FilesAnalyzed == nil {
			t.Errorf("package %s lacks name, downloadLocation or filesAnalyzed", p.SPDXID)
		}
		checkChecksums(t, p.SPDXID, p.Checksums)
		for _, r := range p.ExternalRefs {
			switch r.Type {
			case "purl":
				if _, err := parsePURL(r.Locator); err != nil {
					t.Errorf("package %s: purl %q: %v", p.SPDXID, r.Locator, err)
				}
			case "cpe23Type":
				if f := strings.Split(r.Locator, ":"); len(f) != 13 || f[0] != "cpe" || f[1] != "2.3" {
					t.Errorf("package %s: CPE %q is not a CPE 2.3 formatted string", p.SPDXID, r.Locator)
				}
			default:
				t.Errorf("package %s: unexpected reference type %q", p.SPDXID, r.Type)
			}
		}
	}
	files := make(map[string]tFile)
	for _, f := range d.Files {
		add(f.SPDXID, "file")
		files[f.SPDXID] = f
		if !strings.HasPrefix(f.FileName, "./") {
			t.Errorf("file %s: name %q does not start with ./", f.SPDXID, f.FileName)
		}
		checkChecksums(t, f.SPDXID, f.Checksums)
		if len(f.Checksums) != 2 || f.Checksums[0].Algorithm != "SHA1" || f.Checksums[1].Algorithm != "SHA256" {
			t.Errorf("file %s: checksums %v, want SHA1 and SHA256", f.SPDXID, f.Checksums)
		}
	}

	allowed := map[string]string{ // type -> kinds "from>to"
		"DESCRIBES": "document>package", "DEPENDS_ON": "package>package",
		"DESCENDANT_OF": "package>package", "CONTAINS": "package>package package>file",
	}
	children := make(map[string][]string)
	parents := make(map[string]int)
	seen := make(map[string]bool)
	contained := make(map[string][]string) // package -> files
	for _, r := range d.Relationships {
		key := r.Element + " " + r.Type + " " + r.Related
		if seen[key] {
			t.Errorf("relationship %s twice", key)
		}
		seen[key] = true
		ka, kb := kind[r.Element], kind[r.Related]
		if ka == "" || kb == "" {
			t.Errorf("relationship %s names an element that is not in the document", key)
			continue
		}
		if !slices.Contains(strings.Fields(allowed[r.Type]), ka+">"+kb) {
			t.Errorf("relationship %s: %s from a %s to a %s is not one this package writes", key, r.Type, ka, kb)
		}
		children[r.Element] = append(children[r.Element], r.Related)
		parents[r.Related]++
		if r.Type == "CONTAINS" && kb == "file" {
			contained[r.Element] = append(contained[r.Element], r.Related)
		}
	}
	if len(children[d.SPDXID]) != 1 {
		t.Errorf("the document DESCRIBES %d elements, want 1", len(children[d.SPDXID]))
	}
	reached := map[string]bool{d.SPDXID: true}
	var walk func(string)
	walk = func(id string) {
		for _, c := range children[id] {
			if !reached[c] {
				reached[c] = true
				walk(c)
			}
		}
	}
	walk(d.SPDXID)
	for id := range kind {
		if !reached[id] {
			t.Errorf("%s %s is not reached from the document", kind[id], id)
		}
	}
	for id, f := range files {
		if n := parents[id]; n != 1 {
			t.Errorf("file %s (%s) is contained by %d elements, want 1", id, f.FileName, n)
		}
	}
	for id, p := range pkgs {
		fs := contained[id]
		analyzed := p.FilesAnalyzed != nil && *p.FilesAnalyzed
		if analyzed != (len(fs) > 0) || (p.VerificationCode != nil) != (len(fs) > 0) {
			t.Errorf("package %s contains %d files, filesAnalyzed %v, verification code %v", id, len(fs), analyzed, p.VerificationCode != nil)
			continue
		}
		if len(fs) == 0 {
			continue
		}
		var sums []string
		for _, f := range fs {
			sums = append(sums, files[f].Checksums[0].Value)
		}
		slices.Sort(sums)
		sum := sha1.Sum([]byte(strings.Join(sums, "")))
		if want := hex.EncodeToString(sum[:]); p.VerificationCode.V != want {
			t.Errorf("package %s: verification code %s, want %s", id, p.VerificationCode.V, want)
		}
	}
	return d
}

func checkChecksums(t testing.TB, id string, cs []tChecksum) {
	t.Helper()
	for _, c := range cs {
		re, ok := hexRE[c.Algorithm]
		if !ok || !re.MatchString(c.Value) {
			t.Errorf("%s: checksum %s %q is not lower-case hex of its length", id, c.Algorithm, c.Value)
		}
	}
}

// purl is a parsed package URL.
type purl struct {
	Type, Namespace, Name, Version, Subpath string
	Qualifiers                              map[string]string
}

var (
	purlTypeRE = regexp.MustCompile(`^[a-z][a-z0-9.+-]*$`)
	purlKeyRE  = regexp.MustCompile(`^[a-z][a-z0-9._-]*$`)
	// Canonical components hold unreserved characters and escapes only.
	purlRawRE = regexp.MustCompile(`^([A-Za-z0-9._~-]|%[0-9A-F]{2})*$`)
)

// parsePURL parses a package URL in the canonical form the purl
// specification gives: pkg:type/namespace/name@version?qualifiers#subpath,
// each part percent-encoded, qualifiers sorted by key.
func parsePURL(s string) (purl, error) {
	var p purl
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return p, fmt.Errorf("no pkg: scheme")
	}
	rest, p.Subpath, _ = strings.Cut(rest, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	typ, rest, ok := strings.Cut(rest, "/")
	if !ok || !purlTypeRE.MatchString(typ) {
		return p, fmt.Errorf("type %q is not lower-case letters, digits, '.', '+' or '-'", typ)
	}
	p.Type = typ
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		if strings.Contains(rest[i:], "/") {
			return p, fmt.Errorf("'@' before the name")
		}
		rawV := rest[i+1:]
		v, err := unescapePart(rawV)
		if err != nil || v == "" {
			return p, fmt.Errorf("version %q: %v", rawV, err)
		}
		p.Version, rest = v, rest[:i]
	}
	segs := strings.Split(rest, "/")
	for i, seg := range segs {
		v, err := unescapePart(seg)
		if err != nil || v == "" || strings.Contains(v, "/") {
			return p, fmt.Errorf("path segment %q: empty, bad escape or escaped slash (%v)", seg, err)
		}
		segs[i] = v
	}
	p.Name = segs[len(segs)-1]
	p.Namespace = strings.Join(segs[:len(segs)-1], "/")
	if hasQuery {
		p.Qualifiers = make(map[string]string)
		var last string
		for _, kv := range strings.Split(query, "&") {
			k, raw, ok := strings.Cut(kv, "=")
			if !ok || !purlKeyRE.MatchString(k) {
				return p, fmt.Errorf("qualifier %q is not key=value with a lower-case key", kv)
			}
			if k <= last {
				return p, fmt.Errorf("qualifier %q is out of order or repeated", k)
			}
			last = k
			v, err := unescapePart(raw)
			if err != nil || v == "" {
				return p, fmt.Errorf("qualifier %s value %q: empty or bad escape (%v)", k, raw, err)
			}
			p.Qualifiers[k] = v
		}
	}
	return p, nil
}

func unescapePart(s string) (string, error) {
	if !purlRawRE.MatchString(s) {
		return "", fmt.Errorf("%q holds characters that must be percent-encoded", s)
	}
	return url.PathUnescape(s)
}

func TestParsePURL(t *testing.T) {
	good := map[string]purl{
		"pkg:golang/github.com/a/b@v1.0.0%2Bincompatible": {Type: "golang", Namespace: "github.com/a", Name: "b", Version: "v1.0.0+incompatible"},
		"pkg:golang/stdlib@1.26.8":                        {Type: "golang", Name: "stdlib", Version: "1.26.8"},
		"pkg:oci/app@sha256%3Aab?arch=amd64&repository_url=example.com%2Fapp": {Type: "oci", Name: "app", Version: "sha256:ab",
			Qualifiers: map[string]string{"arch": "amd64", "repository_url": "example.com/app"}},
	}
	for s, want := range good {
		got, err := parsePURL(s)
		if err != nil {
			t.Errorf("parsePURL(%q): %v", s, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("parsePURL(%q) = %+v, want %+v", s, got, want)
		}
	}
	for _, s := range []string{
		"golang/x@v1", "pkg:Golang/x@v1", "pkg:golang/x@v1+incompatible", "pkg:golang/x@(devel)",
		"pkg:golang//x", "pkg:golang/x@", "pkg:oci/a@b?tag=1&arch=x", "pkg:oci/a?arch=", "pkg:golang/a%2Fb/c",
	} {
		if _, err := parsePURL(s); err == nil {
			t.Errorf("parsePURL(%q) succeeded, want an error", s)
		}
	}
}
