package image

import (
	"fmt"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Platform names the operating system, CPU architecture and, for arm, the
// CPU variant an image runs on, with GOOS and GOARCH spellings ("linux",
// "amd64", "arm64", "arm" with variant "v6" or "v7").
type Platform struct {
	OS           string
	Architecture string
	Variant      string
}

// ParsePlatform parses "os/arch" or "os/arch/variant", such as
// "linux/amd64" or "linux/arm/v7". Each part must be a non-empty run of
// lower-case letters, digits and underscores, and the architecture is
// spelled as Go and OCI spell it: "x86_64", "aarch64" or "armhf" are
// refused with the right spelling suggested. Whether a platform can be
// built is not checked here (build does that).
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) == 1 && s != "" {
		if alt, ok := archSpellings[strings.ToLower(s)]; ok {
			return Platform{}, fmt.Errorf("image: platform %q: give OS/ARCH in Go's spelling: did you mean linux/%s?", s, alt)
		}
		if validPlatformPart(s) && !slices.Contains(osNames, s) {
			return Platform{}, fmt.Errorf("image: platform %q: give OS/ARCH, such as linux/%s", s, s)
		}
	}
	if len(parts) < 2 || len(parts) > 3 {
		what := "it names no architecture"
		if len(parts) > 3 {
			what = "it has more parts than that"
		}
		return Platform{}, fmt.Errorf("image: platform %q: want OS/ARCH or OS/ARCH/VARIANT, such as linux/amd64 or linux/arm/v7; %s", s, what)
	}
	if strings.ToLower(parts[0]) == "linux" && parts[0] != "linux" {
		return Platform{}, fmt.Errorf("image: platform %q: bad os %q: the OS is spelled linux", s, parts[0])
	}
	names := []string{"os", "architecture", "variant"}
	for i, p := range parts {
		if !validPlatformPart(p) {
			return Platform{}, fmt.Errorf("image: platform %q: bad %s %q; use os/arch or os/arch/variant in lower case, e.g. linux/amd64 or linux/arm/v7", s, names[i], p)
		}
	}
	if alt, ok := archSpellings[parts[1]]; ok {
		return Platform{}, fmt.Errorf("image: platform %s: unknown architecture %q; did you mean %s/%s? (Go's spelling)", s, parts[1], parts[0], alt)
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// osNames are the operating systems a one-part platform may name without
// being taken for an architecture.
var osNames = []string{"linux", "windows", "darwin", "freebsd"}

// archSpellings are other names of Go's architectures, as uname, Debian
// and distributions spell them.
var archSpellings = map[string]string{
	"x86_64": "amd64", "x86-64": "amd64", "x64": "amd64", "amd": "amd64", "intel": "amd64",
	"aarch64": "arm64", "arm64v8": "arm64", "armv8": "arm64", "armv8l": "arm64/v8", "aarch_64": "arm64",
	"i386": "386", "i486": "386", "i586": "386", "i686": "386", "x86": "386", "ia32": "386",
	"armhf": "arm/v7", "armv7": "arm/v7", "armv7l": "arm/v7", "armv7hl": "arm/v7", "arm32v7": "arm/v7",
	"armel": "arm/v6", "armv6": "arm/v6", "armv6l": "arm/v6", "arm32v6": "arm/v6",
	"armv5": "arm/v5", "armv5l": "arm/v5", "armv5tel": "arm/v5", "arm32v5": "arm/v5",
	"ppc64el": "ppc64le", "powerpc64le": "ppc64le", "powerpc64": "ppc64",
	"riscv": "riscv64", "rv64": "riscv64", "loongarch64": "loong64", "la64": "loong64",
	"mips64el": "mips64le", "mipsel": "mipsle", "s390": "s390x",
}

// String returns "os/arch" or "os/arch/variant".
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// OCI returns p as an OCI platform, as descriptors and configs carry it.
func (p Platform) OCI() *ocispec.Platform {
	return &ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}

// Matches reports whether an image of platform q serves a request for p.
// An empty p.Variant accepts any variant; arm64's default variant v8 is
// the same as no variant. Every reader and the build match platforms
// with it.
func (p Platform) Matches(q Platform) bool {
	if p.Variant == "" {
		return p.OS == q.OS && p.Architecture == q.Architecture
	}
	return p.key() == q.key()
}

// Same reports whether an index takes p and q for one platform: they
// are equal, with arm64 and arm64/v8 the same.
func (p Platform) Same(q Platform) bool { return p.key() == q.key() }

// key is the platform as compared for duplicates and matched by readers:
// arm64's default variant v8 is the same as no variant.
func (p Platform) key() string {
	if p.Architecture == "arm64" && p.Variant == "v8" {
		p.Variant = ""
	}
	return p.String()
}

func validPlatformPart(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
