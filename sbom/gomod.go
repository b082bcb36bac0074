package sbom

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
)

// goPackages adds the packages a Go binary's build information names: the
// main module, which contains the binary, the standard library and one
// package per module dependency, which the main module depends on. It
// returns the main module's SPDXID.
func (g *generator) goPackages(bi *debug.BuildInfo, bin File) string {
	settings := make(map[string]string, len(bi.Settings))
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	name := cmp.Or(bi.Main.Path, bi.Path, "main")
	version := bi.Main.Version
	p := pkg{
		SPDXID:                g.id("Package-go-module", name, version),
		Name:                  name,
		VersionInfo:           version,
		DownloadLocation:      mainDownload(bi.Main, settings),
		FilesAnalyzed:         true,
		VerificationCode:      verification(bin),
		Checksums:             h1Checksum(bi.Main.Sum),
		SourceInfo:            buildSource(bi.GoVersion, settings),
		ExternalRefs:          []externalRef{purlRef(goPURL(name, realVersion(version)))},
		PrimaryPackagePurpose: "APPLICATION",
	}
	if p.Checksums != nil {
		p.Comment = h1Comment
	}
	main := g.addPackage(p)

	if bi.GoVersion != "" {
		g.relate(main, relDependsOn, g.stdlib(bi.GoVersion))
	}
	deps := make([]pkg, 0, len(bi.Deps))
	for _, d := range bi.Deps {
		deps = append(deps, depPackage(d))
	}
	slices.SortStableFunc(deps, func(a, b pkg) int { return cmpTuple(a.Name, b.Name, a.VersionInfo, b.VersionInfo) })
	for _, d := range deps {
		d.SPDXID = g.id("Package-go-module", d.Name, d.VersionInfo)
		g.relate(main, relDependsOn, g.addPackage(d))
	}
	return main
}

// h1Comment explains a Go module's SHA256 checksum.
const h1Comment = "The SHA256 checksum is the module's h1: hash from go.sum, decoded from base64: a hash of the module's file tree (golang.org/x/mod/sumdb/dirhash), not of one file."

// depPackage returns the package of one module dependency: the module
// that replaces it where there is one.
func depPackage(d *debug.Module) pkg {
	name, version, sum, note := d.Path, d.Version, d.Sum, ""
	if r := d.Replace; r != nil {
		if isLocalPath(r.Path) {
			// A directory on the build machine: no version, no sum, and
			// its path (machine-specific) stays out of the document.
			version, sum, note = "", "", "Replaced by a local directory."
		} else {
			name, version, sum = r.Path, r.Version, r.Sum
			note = "Replaces " + strings.TrimSpace(d.Path+" "+d.Version) + "."
		}
	}
	p := pkg{
		Name:                  name,
		VersionInfo:           version,
		DownloadLocation:      noAssertion,
		Checksums:             h1Checksum(sum),
		ExternalRefs:          []externalRef{purlRef(goPURL(name, version))},
		PrimaryPackagePurpose: "LIBRARY",
	}
	if version != "" {
		p.DownloadLocation = proxyURL(name, version)
	}
	if p.Checksums != nil {
		note = strings.TrimSpace(note + " " + h1Comment)
	}
	p.Comment = note
	return p
}

// stdlib adds the Go standard library package, named as syft names it so
// that scanners match it: "stdlib", the purl pkg:golang/stdlib@1.x.y and
// the CPE of the Go project.
func (g *generator) stdlib(goVersion string) string {
	v, _, _ := strings.Cut(goVersion, " ") // "go1.26.8 X:nodwarf5" has an experiment
	p := pkg{
		SPDXID:                g.id("Package-go-stdlib", v),
		Name:                  "stdlib",
		VersionInfo:           v,
		DownloadLocation:      noAssertion,
		LicenseDeclared:       "BSD-3-Clause",
		PrimaryPackagePurpose: "LIBRARY",
	}
	if v != goVersion {
		p.Comment = "Built with " + goVersion + "."
	}
	release, candidate, ok := goRelease(v)
	if ok {
		p.DownloadLocation = "https://go.dev/dl/" + v + ".src.tar.gz"
		p.ExternalRefs = append(p.ExternalRefs, cpeRef(stdlibCPE(release, candidate)))
	}
	p.ExternalRefs = append(p.ExternalRefs, purlRef(goPURL("stdlib", strings.TrimPrefix(realVersion(v), "go"))))
	return g.addPackage(p)
}

var goReleaseRE = regexp.MustCompile(`^go(\d+(?:\.\d+){0,2})(\w*)$`)

// goRelease splits a Go version such as "go1.26.8" or "go1.27rc1" into the
// release ("1.26.8", "1.27") and the candidate ("", "rc1"); ok is false for
// anything else, such as a development toolchain's "devel".
func goRelease(v string) (release, candidate string, ok bool) {
	m := goReleaseRE.FindStringSubmatch(v)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// stdlibCPE returns the Go project's CPE in the form syft writes it: the
// update field is "-" for a release and the candidate ("rc1") otherwise.
func stdlibCPE(release, candidate string) string {
	return "cpe:2.3:a:golang:go:" + release + ":" + cmp.Or(candidate, "-") + ":*:*:*:*:*:*"
}

// mainDownload returns where the main module's source is: its repository
// at the built revision when the build recorded a git revision and the
// module path names a known host, its module proxy zip when it was built
// from a module version (go install m@v), and NOASSERTION otherwise.
func mainDownload(m debug.Module, settings map[string]string) string {
	if rev := settings["vcs.revision"]; settings["vcs"] == "git" && rev != "" {
		if repo := repository(m.Path); repo != "" {
			return "git+" + repo + "@" + rev
		}
	}
	if m.Sum != "" && realVersion(m.Version) != "" {
		return proxyURL(m.Path, m.Version)
	}
	return noAssertion
}

// repository returns the repository URL a module path names on the hosts
// where path and repository match: "github.com/x/y/v2" gives
// "https://github.com/x/y"; "" otherwise.
func repository(modPath string) string {
	parts := strings.Split(modPath, "/")
	switch parts[0] {
	case "github.com", "gitlab.com", "bitbucket.org", "codeberg.org":
		if len(parts) >= 3 && parts[1] != "" && parts[2] != "" {
			return "https://" + strings.Join(parts[:3], "/")
		}
	}
	return ""
}

// buildSource describes how the binary was built, from its Go version and
// the build settings that name the target and the source revision. Other
// settings (flags, ldflags) are left out: they may hold paths or secrets.
func buildSource(goVersion string, settings map[string]string) string {
	var b strings.Builder
	b.WriteString("Built by " + cmp.Or(goVersion, "an unknown Go version"))
	if settings["GOOS"] != "" {
		b.WriteString(" for " + settings["GOOS"] + "/" + settings["GOARCH"])
	}
	b.WriteString(".")
	keys := []string{"vcs", "vcs.revision", "vcs.time", "vcs.modified"}
	var kv []string
	for _, k := range keys {
		if v, ok := settings[k]; ok {
			kv = append(kv, k+"="+v)
		}
	}
	if len(kv) > 0 {
		b.WriteString(" Source: " + strings.Join(kv, " ") + ".")
	}
	return b.String()
}

// h1Checksum returns a go.sum "h1:" hash as the SHA256 checksum it
// encodes; nil for an empty or foreign sum.
func h1Checksum(sum string) []checksum {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return nil
	}
	return []checksum{{Algorithm: "SHA256", Value: hex.EncodeToString(raw)}}
}

// realVersion returns v, or "" for the versions that name no release:
// "(devel)" and "".
func realVersion(v string) string {
	if v == "(devel)" {
		return ""
	}
	return v
}

func isLocalPath(p string) bool {
	return strings.HasPrefix(p, ".") || strings.HasPrefix(p, "/") || strings.Contains(p, `\`)
}

// proxyURL returns the module proxy URL of a module version's zip, with
// path and version escaped as the proxy protocol escapes them.
func proxyURL(modPath, version string) string {
	return "https://proxy.golang.org/" + escapeModule(modPath) + "/@v/" + escapeModule(version) + ".zip"
}

// escapeModule escapes a module path or version for the module proxy
// protocol and the module cache, as golang.org/x/mod/module.EscapePath
// does for a valid one: each upper-case letter becomes '!' and the letter
// in lower case, so that the result is safe on case-insensitive file
// systems.
func escapeModule(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
