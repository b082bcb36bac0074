package image

import (
	"fmt"
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
// lower-case letters, digits and underscores.
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		what := "it names no architecture"
		if len(parts) > 3 {
			what = "it has more parts than that"
		}
		return Platform{}, fmt.Errorf("image: platform %q: want OS/ARCH or OS/ARCH/VARIANT, such as linux/amd64 or linux/arm/v7; %s", s, what)
	}
	names := []string{"os", "architecture", "variant"}
	for i, p := range parts {
		if !validPlatformPart(p) {
			return Platform{}, fmt.Errorf("image: platform %q: bad %s %q; use os/arch or os/arch/variant in lower case, e.g. linux/amd64 or linux/arm/v7", s, names[i], p)
		}
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
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

// key is the platform as compared for duplicates and matched by readers:
// arm64's default variant v8 is the same as no variant.
func (p Platform) key() string {
	if p.Architecture == "arm64" && p.Variant == "v8" {
		p.Variant = ""
	}
	return p.String()
}

// matches reports whether an image of platform q satisfies a request for
// p: an empty variant in p accepts any variant.
func (p Platform) matches(q Platform) bool {
	if p.Variant == "" {
		return p.OS == q.OS && p.Architecture == q.Architecture
	}
	return p.key() == q.key()
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
