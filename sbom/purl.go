package sbom

import (
	"strings"
)

// Package URLs (https://github.com/package-url/purl-spec), written as the
// packageurl-go library that syft and grype use writes them: each path
// segment, the version and each qualifier value percent-encoded on its
// own, so that the two tools read ours as they read their own.

// goPURL returns pkg:golang/PATH@VERSION; version may be empty.
func goPURL(modPath, version string) string {
	segs := strings.Split(modPath, "/")
	for i, s := range segs {
		segs[i] = purlEscape(s)
	}
	p := "pkg:golang/" + strings.Join(segs, "/")
	if version != "" {
		p += "@" + purlEscape(version)
	}
	return p
}

// ociPURL returns the purl of an image: pkg:oci/NAME@DIGEST with the
// qualifiers arch, repository_url and (when there is one) tag, sorted by
// key. NAME is the repository's last path element in lower case.
func ociPURL(repo, tag, dgst, arch string) string {
	name := strings.ToLower(repo[strings.LastIndex(repo, "/")+1:])
	p := "pkg:oci/" + purlEscape(name) + "@" + purlEscape(dgst) +
		"?arch=" + purlEscape(arch) + "&repository_url=" + purlEscape(repo)
	if tag != "" {
		p += "&tag=" + purlEscape(tag)
	}
	return p
}

// purlEscape percent-encodes every byte of s but the unreserved ones
// (letters, digits, '-', '.', '_', '~').
func purlEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isIDByte(c) || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
