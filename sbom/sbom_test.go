package sbom

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.spdx.json")

const (
	imgDigest  = digest.Digest("sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b")
	baseDigest = digest.Digest("sha256:0d6f0bcd2d1e9e3f1b1c9b3de42f9a5c1e1aa8fb0e2e1d2b5a4d1f8c7b6a5e4d")
)

// fixture returns an Input that exercises every part of a document with
// the awkward values real builds hold: a (devel) main module built from a
// modified tree, +incompatible and +dirty versions, a replace by a fork
// and one by a local directory, module paths with upper-case letters, two
// paths that map to one SPDXID, and zone names with '+' and '_'.
func fixture() Input {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "example.com/App/cmd/app",
		Main:      debug.Module{Path: "example.com/App", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "github.com/Azure/go-autorest", Version: "v14.2.0+incompatible", Sum: "h1:V5VMDjClD3GiElqLWO7mz2MxNAK/vTfRHdAubSIPRgs="},
			{Path: "github.com/klauspost/compress", Version: "v1.20.4", Sum: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
			{Path: "github.com/old/lib", Version: "v1.0.0", Replace: &debug.Module{Path: "github.com/fork/lib", Version: "v1.0.1-0.20250101000000-abcdefabcdef", Sum: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}},
			{Path: "example.com/local", Version: "v0.0.0", Replace: &debug.Module{Path: "../local"}},
			{Path: "example.com/a_b", Version: "v1.0.0", Sum: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
			{Path: "example.com/a-b", Version: "v1.0.0", Sum: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
			{Path: "example.com/dirty", Version: "v0.1.0+dirty"},
		},
		Settings: []debug.BuildSetting{
			{Key: "-ldflags", Value: "-X main.secret=hunter2"},
			{Key: "CGO_ENABLED", Value: "0"},
			{Key: "GOARCH", Value: "amd64"},
			{Key: "GOOS", Value: "linux"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2025-06-01T12:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	return Input{
		Name:      "example.com/team/app:v1.2.0",
		Platform:  "linux/amd64",
		Created:   time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Digest:    imgDigest,
		Binary:    NewFile("/app", []byte("\x7fELF the program")),
		BuildInfo: bi,
		Components: []Component{
			TZData("2025c",
				NewFile("/usr/share/zoneinfo/Etc/GMT+1", []byte("TZif GMT+1")),
				NewFile("/usr/share/zoneinfo/Etc/GMT-1", []byte("TZif GMT-1")),
				NewFile("/usr/share/zoneinfo/America/Port_of_Spain", []byte("TZif POS")),
			),
			CABundle("v0.0.0-20261030153154-30a33513ff6d", NewFile("/etc/ssl/certs/ca-certificates.crt", []byte("-----BEGIN CERTIFICATE-----"))),
		},
		Base: &Base{Name: "gcr.io/distroless/static:nonroot", Digest: baseDigest},
		Tool: "minimage-v0.9.0",
	}
}

func generate(t testing.TB, in Input) []byte {
	t.Helper()
	data, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestGolden(t *testing.T) {
	got := generate(t, fixture())
	path := filepath.Join("testdata", "golden.spdx.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Generate(fixture()) differs from %s; if the change is meant, rerun with -update and say so in the commit", path)
	}
}

func TestDocument(t *testing.T) {
	in := fixture()
	d := checkDocument(t, generate(t, in))
	byName := make(map[string]tPackage)
	for _, p := range d.Packages {
		byName[p.Name+"@"+p.VersionInfo] = p
	}
	get := func(key string) tPackage {
		t.Helper()
		p, ok := byName[key]
		if !ok {
			t.Fatalf("no package %s; have %v", key, slices.Sorted(maps.Keys(byName)))
		}
		return p
	}

	if d.CreationInfo.Created != "2025-06-01T12:00:00Z" || d.CreationInfo.Creators[0] != "Tool: minimage-v0.9.0" {
		t.Errorf("creationInfo %+v", d.CreationInfo)
	}
	if d.Name != "example.com/team/app:v1.2.0 (linux/amd64)" {
		t.Errorf("name %q", d.Name)
	}

	img := get("example.com/team/app@v1.2.0")
	if img.Purpose != "CONTAINER" || img.checksum("SHA256") != imgDigest.Encoded() || img.BuiltDate != "2025-06-01T12:00:00Z" {
		t.Errorf("image package %+v", img)
	}
	if p := mustPURL(t, img.ref("purl")); p.Type != "oci" || p.Name != "app" || p.Version != imgDigest.String() ||
		p.Qualifiers["repository_url"] != "example.com/team/app" || p.Qualifiers["tag"] != "v1.2.0" || p.Qualifiers["arch"] != "amd64" {
		t.Errorf("image purl %+v", p)
	}
	base := get("gcr.io/distroless/static@nonroot")
	if p := mustPURL(t, base.ref("purl")); p.Version != baseDigest.String() || p.Name != "static" {
		t.Errorf("base purl %+v", p)
	}

	main := get("example.com/App@(devel)")
	if p := mustPURL(t, main.ref("purl")); p.Namespace != "example.com" || p.Name != "App" || p.Version != "" {
		t.Errorf("main purl %+v: want no version for (devel)", p)
	}
	for _, want := range []string{"vcs.revision=0123456789abcdef0123456789abcdef01234567", "vcs.modified=true", "go1.26.8", "linux/amd64"} {
		if !strings.Contains(main.SourceInfo, want) {
			t.Errorf("main sourceInfo %q lacks %q", main.SourceInfo, want)
		}
	}
	if strings.Contains(string(generate(t, in)), "hunter2") {
		t.Error("the document holds the -ldflags build setting")
	}
	if main.DownloadLocation != noAssertion {
		t.Errorf("main download location %q for a module path whose repository is unknown", main.DownloadLocation)
	}

	inc := get("github.com/Azure/go-autorest@v14.2.0+incompatible")
	if p := mustPURL(t, inc.ref("purl")); p.Version != "v14.2.0+incompatible" || p.Namespace+"/"+p.Name != "github.com/Azure/go-autorest" {
		t.Errorf("+incompatible purl %+v", p)
	}
	if inc.DownloadLocation != "https://proxy.golang.org/github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip" {
		t.Errorf("download location %q", inc.DownloadLocation)
	}
	if inc.checksum("SHA256") != "57954c0e30a50f71a2125a8b58eee6cf63313402bfbd37d11dd02e6d220f460b" || !strings.Contains(inc.Comment, "dirhash") {
		t.Errorf("h1 checksum %q, comment %q", inc.checksum("SHA256"), inc.Comment)
	}

	fork := get("github.com/fork/lib@v1.0.1-0.20250101000000-abcdefabcdef")
	if !strings.Contains(fork.Comment, "Replaces github.com/old/lib v1.0.0") || fork.checksum("SHA256") == "" {
		t.Errorf("replaced module: comment %q, checksums %v", fork.Comment, fork.Checksums)
	}
	if _, ok := byName["github.com/old/lib@v1.0.0"]; ok {
		t.Error("the replaced module is listed, not only its replacement")
	}
	local := get("example.com/local@")
	if local.DownloadLocation != noAssertion || len(local.Checksums) != 0 || strings.Contains(string(generate(t, in)), "../local") {
		t.Errorf("locally replaced module %+v (or its directory is in the document)", local)
	}
	dirty := get("example.com/dirty@v0.1.0+dirty")
	if len(dirty.Checksums) != 0 {
		t.Errorf("module without a sum has checksums %v", dirty.Checksums)
	}
	if a, b := get("example.com/a_b@v1.0.0"), get("example.com/a-b@v1.0.0"); a.SPDXID == b.SPDXID {
		t.Errorf("a_b and a-b share SPDXID %s", a.SPDXID)
	}

	std := get("stdlib@go1.26.8")
	if std.ref("cpe23Type") != "cpe:2.3:a:golang:go:1.26.8:-:*:*:*:*:*:*" || std.ref("purl") != "pkg:golang/stdlib@1.26.8" || std.LicenseDeclared != "BSD-3-Clause" {
		t.Errorf("stdlib %+v", std)
	}

	ca := get("ca-certificates@v0.0.0-20261030153154-30a33513ff6d")
	if ca.LicenseDeclared != "MPL-2.0" || ca.DownloadLocation != "https://proxy.golang.org/golang.org/x/crypto/x509roots/fallback/@v/v0.0.0-20261030153154-30a33513ff6d.zip" {
		t.Errorf("ca-certificates %+v", ca)
	}
	tz := get("tzdata@2025c")
	if len(d.Licenses) != 1 || d.Licenses[0].ID != tz.LicenseDeclared {
		t.Errorf("tzdata license %q, extracted licenses %+v", tz.LicenseDeclared, d.Licenses)
	}

	// Every file is listed with its hashes, in the package it belongs to.
	owner := make(map[string]string)
	for _, r := range d.Relationships {
		if r.Type == "CONTAINS" {
			owner[r.Related] = r.Element
		}
	}
	wantFiles := map[string]tPackage{"./app": main, "./etc/ssl/certs/ca-certificates.crt": ca,
		"./usr/share/zoneinfo/Etc/GMT+1": tz, "./usr/share/zoneinfo/Etc/GMT-1": tz, "./usr/share/zoneinfo/America/Port_of_Spain": tz}
	if len(d.Files) != len(wantFiles) {
		t.Errorf("%d files, want %d", len(d.Files), len(wantFiles))
	}
	for _, f := range d.Files {
		if p, ok := wantFiles[f.FileName]; !ok || owner[f.SPDXID] != p.SPDXID {
			t.Errorf("file %s is in %q", f.FileName, owner[f.SPDXID])
		}
	}
	wantBin := NewFile("/app", []byte("\x7fELF the program"))
	if f := d.Files[slices.IndexFunc(d.Files, func(f tFile) bool { return f.FileName == "./app" })]; f.Checksums[1].Value != hex.EncodeToString(wantBin.SHA256[:]) {
		t.Errorf("binary sha256 %s", f.Checksums[1].Value)
	}
}

func TestGoVersions(t *testing.T) {
	tests := []struct {
		goVersion, versionInfo, cpe, purl string
	}{
		{"go1.26.8", "go1.26.8", "cpe:2.3:a:golang:go:1.26.8:-:*:*:*:*:*:*", "pkg:golang/stdlib@1.26.8"},
		{"go1.27rc1", "go1.27rc1", "cpe:2.3:a:golang:go:1.27:rc1:*:*:*:*:*:*", "pkg:golang/stdlib@1.27rc1"},
		{"go1.26.8 X:nodwarf5", "go1.26.8", "cpe:2.3:a:golang:go:1.26.8:-:*:*:*:*:*:*", "pkg:golang/stdlib@1.26.8"},
		{"go1.21", "go1.21", "cpe:2.3:a:golang:go:1.21:-:*:*:*:*:*:*", "pkg:golang/stdlib@1.21"},
		{"devel go1.27-1a2b3c4 Mon Jan 1 00:00:00 2026 +0000", "devel", "", "pkg:golang/stdlib@devel"},
	}
	for _, tt := range tests {
		t.Run(tt.goVersion, func(t *testing.T) {
			in := fixture()
			bi := *in.BuildInfo
			bi.GoVersion = tt.goVersion
			in.BuildInfo = &bi
			d := checkDocument(t, generate(t, in))
			i := slices.IndexFunc(d.Packages, func(p tPackage) bool { return p.Name == "stdlib" })
			if i < 0 {
				t.Fatal("no stdlib package")
			}
			p := d.Packages[i]
			if p.VersionInfo != tt.versionInfo || p.ref("cpe23Type") != tt.cpe || p.ref("purl") != tt.purl {
				t.Errorf("stdlib %q, CPE %q, purl %q; want %q, %q, %q", p.VersionInfo, p.ref("cpe23Type"), p.ref("purl"), tt.versionInfo, tt.cpe, tt.purl)
			}
		})
	}
}

func TestMainModule(t *testing.T) {
	tests := []struct {
		name      string
		main      debug.Module
		settings  map[string]string
		purl      string
		download  string
		sourceHas string
	}{
		{"tagged and dirty", debug.Module{Path: "github.com/x/y", Version: "v1.2.3+dirty"}, map[string]string{"vcs": "git", "vcs.revision": "abc", "vcs.modified": "true"},
			"pkg:golang/github.com/x/y@v1.2.3%2Bdirty", "git+https://github.com/x/y@abc", "vcs.modified=true"},
		{"go install", debug.Module{Path: "github.com/x/y/v2", Version: "v2.0.0", Sum: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, nil,
			"pkg:golang/github.com/x/y/v2@v2.0.0", "https://proxy.golang.org/github.com/x/y/v2/@v/v2.0.0.zip", "go1.26.8"},
		{"no module", debug.Module{}, nil, "pkg:golang/example.com/App/cmd/app", noAssertion, "Built by"},
		{"unknown host", debug.Module{Path: "example.com/Z", Version: "(devel)"}, map[string]string{"vcs": "git", "vcs.revision": "abc"},
			"pkg:golang/example.com/Z", noAssertion, "vcs.revision=abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixture()
			bi := *in.BuildInfo
			bi.Main = tt.main
			bi.Settings = nil
			for _, k := range slices.Sorted(maps.Keys(tt.settings)) {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: tt.settings[k]})
			}
			in.BuildInfo = &bi
			d := checkDocument(t, generate(t, in))
			i := slices.IndexFunc(d.Packages, func(p tPackage) bool { return p.Purpose == "APPLICATION" })
			p := d.Packages[i]
			if p.ref("purl") != tt.purl || p.DownloadLocation != tt.download || !strings.Contains(p.SourceInfo, tt.sourceHas) {
				t.Errorf("purl %q, download %q, sourceInfo %q; want %q, %q, containing %q", p.ref("purl"), p.DownloadLocation, p.SourceInfo, tt.purl, tt.download, tt.sourceHas)
			}
		})
	}
}

// TestMinimal checks the smallest documents: an image with no program,
// and one whose program has no Go build information, which gets a package
// of its own.
func TestMinimal(t *testing.T) {
	d := checkDocument(t, generate(t, Input{Name: "scratch", Platform: "linux/arm64/v8"}))
	if len(d.Packages) != 1 || len(d.Files) != 0 || d.Packages[0].VersionInfo != "" {
		t.Errorf("empty image: %+v", d)
	}
	d = checkDocument(t, generate(t, Input{Name: "tool", Platform: "linux/amd64", Binary: NewFile("/bin/tool", []byte("x"))}))
	if len(d.Packages) != 2 || len(d.Files) != 1 || d.Packages[1].Name != "tool" || d.Packages[1].Purpose != "APPLICATION" {
		t.Errorf("non-Go program: %d packages, %d files: %+v", len(d.Packages), len(d.Files), d.Packages)
	}
}

// TestSPDXIDsStayValid feeds names and versions full of characters SPDXIDs
// may not hold, and many that collide once mapped.
func TestSPDXIDsStayValid(t *testing.T) {
	in := fixture()
	bi := *in.BuildInfo
	bi.Main = debug.Module{Path: "example.com/ü/päth", Version: "v0.0.0-00010101000000-000000000000+dirty"}
	bi.Deps = nil
	for _, v := range []string{"(devel)", "v1+x", "v1.x", "v1-x", "v1_x", "v1 x", "v1/x", "", "v1@x", "v1%x"} {
		bi.Deps = append(bi.Deps, &debug.Module{Path: "example.com/m", Version: v})
	}
	in.BuildInfo = &bi
	in.Name = "Üb3r/ímage:+tag"
	in.Components = append(in.Components, Component{Name: "ca-certificates", Version: "v0.0.0-20261030153154-30a33513ff6d"}, Component{Name: "   "})
	d := checkDocument(t, generate(t, in))
	if n := len(d.Packages); n != 4+len(bi.Deps)+4 {
		t.Errorf("%d packages", n)
	}
}

func TestReproducible(t *testing.T) {
	a := generate(t, fixture())

	// The order of components, files and dependencies does not matter.
	in := fixture()
	slices.Reverse(in.Components)
	for i := range in.Components {
		slices.Reverse(in.Components[i].Files)
	}
	bi := *in.BuildInfo
	bi.Deps = slices.Clone(bi.Deps)
	slices.Reverse(bi.Deps)
	in.BuildInfo = &bi
	// Nor does the zone the created time is given in.
	in.Created = in.Created.In(time.FixedZone("UTC+5", 5*3600))
	if b := generate(t, in); !bytes.Equal(a, b) {
		t.Error("reordered input or another time zone gives other bytes")
	}

	// created follows the image's created time, and the namespace follows
	// the content.
	later := fixture()
	later.Created = later.Created.Add(time.Hour)
	dl, da := parseDoc(t, generate(t, later)), parseDoc(t, a)
	if dl.CreationInfo.Created != "2025-06-01T13:00:00Z" {
		t.Errorf("created %s, want the image's created time", dl.CreationInfo.Created)
	}
	if dl.DocumentNamespace == da.DocumentNamespace {
		t.Error("documents with different content share a namespace")
	}
	epoch := fixture()
	epoch.Created = time.Time{}
	if c := parseDoc(t, generate(t, epoch)).CreationInfo.Created; c != "1970-01-01T00:00:00Z" {
		t.Errorf("zero Created gives %s, want the Unix epoch", c)
	}
}

func TestDefaultTool(t *testing.T) {
	in := fixture()
	in.Tool = ""
	d := parseDoc(t, generate(t, in))
	if c := d.CreationInfo.Creators; len(c) != 1 || !strings.HasPrefix(c[0], "Tool: minimage-") || len(c[0]) == len("Tool: minimage-") {
		t.Errorf("creators %q", c)
	}
}

func TestInvalidInput(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Input)
	}{
		{"no name", func(in *Input) { in.Name = " " }},
		{"no platform", func(in *Input) { in.Platform = "" }},
		{"platform without arch", func(in *Input) { in.Platform = "linux" }},
		{"platform with empty part", func(in *Input) { in.Platform = "linux//v7" }},
		{"bad digest", func(in *Input) { in.Digest = "sha256:xyz" }},
		{"relative binary", func(in *Input) { in.Binary.Path = "app" }},
		{"unclean binary", func(in *Input) { in.Binary.Path = "/bin/../app" }},
		{"binary without hashes", func(in *Input) { in.Binary = File{Path: "/app"} }},
		{"build info without binary", func(in *Input) { in.Binary = File{} }},
		{"file twice", func(in *Input) { in.Components[1].Files = append(in.Components[1].Files, NewFile("/app", nil)) }},
		{"component without name", func(in *Input) { in.Components[0].Name = "" }},
		{"license ref without text", func(in *Input) { in.Components[0].LicenseText = "" }},
		{"text without license ref", func(in *Input) { in.Components[1].LicenseText = "x" }},
		{"bad license ref", func(in *Input) { in.Components[0].License = "LicenseRef-a b" }},
		{"base without name", func(in *Input) { in.Base.Name = "" }},
		{"base without digest", func(in *Input) { in.Base.Digest = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixture()
			tt.change(&in)
			_, err := Generate(in)
			if !errors.Is(err, ErrInvalidInput) || !strings.HasPrefix(err.Error(), "sbom: ") {
				t.Errorf("Generate: %v, want an sbom: error wrapping ErrInvalidInput", err)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ name, platform, want string }{
		{"example.com/team/app:v1", "linux/amd64", "app-linux-amd64.spdx.json"},
		{"localhost:5000/app@sha256:abc", "linux/arm64/v8", "app-linux-arm64-v8.spdx.json"},
		{"app", "linux/arm/v7", "app-linux-arm-v7.spdx.json"},
		{"", "linux/amd64", "image-linux-amd64.spdx.json"},
		{"x/a b+c:t", "linux/s390x", "a-b-c-linux-s390x.spdx.json"},
		{"x/..:t", "linux/amd64", "image-linux-amd64.spdx.json"},
	}
	for _, tt := range tests {
		if got := FileName(tt.name, tt.platform); got != tt.want {
			t.Errorf("FileName(%q, %q) = %q, want %q", tt.name, tt.platform, got, tt.want)
		}
	}
}

func TestEscapeModule(t *testing.T) {
	// The cases of golang.org/x/mod/module's escape tests that are valid
	// paths and versions.
	tests := map[string]string{
		"github.com/Azure/azure-sdk-for-go":    "github.com/!azure/azure-sdk-for-go",
		"github.com/GoogleCloudPlatform/cloud": "github.com/!google!cloud!platform/cloud",
		"v1.0.0-RC1":                           "v1.0.0-!r!c1",
		"golang.org/x/mod":                     "golang.org/x/mod",
		"example.com/ABC~x":                    "example.com/!a!b!c~x",
	}
	for in, want := range tests {
		if got := escapeModule(in); got != want {
			t.Errorf("escapeModule(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUUID5(t *testing.T) {
	// Vectors from Python's uuid.uuid5.
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got := uuid5(dns, "python.org"); got != "886313e1-3b8a-5372-9b90-0c9aee199e5d" {
		t.Errorf("uuid5(DNS, python.org) = %s", got)
	}
	if got := uuid5(uuidNamespaceURL, "https://example.com/x"); got != "49517db3-5541-5e91-9cd4-395dd68a97ac" {
		t.Errorf("uuid5(URL, https://example.com/x) = %s", got)
	}
}

func mustPURL(t testing.TB, s string) purl {
	t.Helper()
	p, err := parsePURL(s)
	if err != nil {
		t.Fatalf("purl %q: %v", s, err)
	}
	return p
}
