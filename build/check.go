package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/typo"
)

// ErrInvalid reports a recipe Run refuses before doing any work; the
// error says which field or value is wrong and how to fix it.
var ErrInvalid = errors.New("invalid recipe")

// invalid returns a check's error: "build: " and the message, wrapping
// ErrInvalid and any error that args wrap with %w.
func invalid(format string, args ...any) error {
	return &checkError{fmt.Errorf("build: "+format, args...)}
}

// checkError is an error of a check before work. It wraps ErrInvalid
// without saying so in its message, which names the value at fault.
type checkError struct{ err error }

func (e *checkError) Error() string        { return e.err.Error() }
func (e *checkError) Unwrap() error        { return e.err }
func (e *checkError) Is(target error) bool { return target == ErrInvalid }

// goarches are the architectures Go builds linux binaries for, with the
// variants each accepts ("" always) and the environment variable a
// variant sets.
var goarches = map[string]struct {
	env      string
	variants func(v string) (value string, ok bool)
}{
	"386":      {},
	"amd64":    {"GOAMD64", amd64Variant},
	"arm":      {"GOARM", armVariant},
	"arm64":    {"GOARM64", arm64Variant},
	"loong64":  {},
	"mips":     {},
	"mipsle":   {},
	"mips64":   {},
	"mips64le": {},
	"ppc64":    {},
	"ppc64le":  {},
	"riscv64":  {},
	"s390x":    {},
}

// amd64Variant maps v1 to v4 to GOAMD64; no variant is v1.
func amd64Variant(v string) (string, bool) {
	switch v {
	case "":
		return "v1", true
	case "v1", "v2", "v3", "v4":
		return v, true
	}
	return "", false
}

// armVariant maps v5 to v7 to GOARM; no variant leaves Go's default.
func armVariant(v string) (string, bool) {
	switch v {
	case "":
		return "", true
	case "v5", "v6", "v7":
		return v[1:], true
	}
	return "", false
}

// arm64Variant maps v9 to GOARM64; no variant and v8 are Go's default,
// v8.0.
func arm64Variant(v string) (string, bool) {
	switch v {
	case "", "v8":
		return "", true
	case "v9":
		return "v9.0", true
	}
	return "", false
}

// checkPlatform checks that minimage can build p: a linux image, an
// architecture Go builds (GOARCH spelling: amd64, arm64, arm, 386,
// ppc64le, riscv64, s390x, …), and a variant that architecture has (amd64
// v1 to v4, arm v5 to v7, arm64 v8 or v9). image.ParsePlatform parses.
func checkPlatform(p image.Platform) error {
	if p.OS != "linux" {
		if strings.EqualFold(p.OS, "linux") {
			return invalid("platform %s: the OS is spelled linux", p)
		}
		if p.OS == "" {
			return invalid("platform %q: no OS; give linux/ARCH, such as linux/amd64", p)
		}
		return invalid("platform %s: minimage builds linux images only; a %s image needs that OS's own base layers", p, p.OS)
	}
	arch, ok := goarches[p.Architecture]
	if !ok {
		if _, err := image.ParsePlatform(p.String()); err != nil {
			return invalid("%w", err) // another spelling, with Go's suggested
		}
		if alt := closestArch(p.Architecture); alt != "" {
			return invalid("platform %s: unknown architecture %q; did you mean linux/%s?", p, p.Architecture, alt)
		}
		return invalid("platform %s: unknown architecture %q; give one Go builds, such as amd64, arm64, arm, 386, ppc64le, riscv64 or s390x", p, p.Architecture)
	}
	if p.Variant == "" {
		return nil
	}
	if arch.variants == nil {
		return invalid("platform %s: %s has no variants; give linux/%s", p, p.Architecture, p.Architecture)
	}
	if _, ok := arch.variants(p.Variant); !ok {
		want := map[string]string{"amd64": "v1, v2, v3 or v4", "arm": "v5, v6 or v7", "arm64": "v8 or v9"}[p.Architecture]
		return invalid("platform %s: unknown %s variant %q; give %s, or none", p, p.Architecture, p.Variant, want)
	}
	return nil
}

// closestArch returns the known architecture one edit away from a, if
// exactly one is.
func closestArch(a string) string {
	var found string
	for k := range goarches {
		if typo.Distance(a, k) == 1 {
			if found != "" {
				return ""
			}
			found = k
		}
	}
	return found
}

// platformEnv returns the variant's environment entry for go build, or
// "" when the variant sets none.
func platformEnv(p image.Platform) string {
	arch := goarches[p.Architecture]
	if arch.variants == nil {
		return ""
	}
	v, _ := arch.variants(p.Variant)
	if v == "" {
		return ""
	}
	return arch.env + "=" + v
}

// ParsePort checks an exposed port, "PORT" or "PORT/PROTO" with PORT 1 to
// 65535 and PROTO tcp, udp or sctp, and returns it in canonical form
// ("080/TCP" gives "80/tcp"). Errors wrap ErrInvalid.
func ParsePort(s string) (string, error) {
	num, proto, hasProto := strings.Cut(s, "/")
	if hasProto {
		proto = strings.ToLower(proto)
		switch proto {
		case "tcp", "udp", "sctp":
		default:
			return "", invalid("port %q: unknown protocol %q; give PORT or PORT/tcp, PORT/udp, PORT/sctp", s, proto)
		}
	}
	if strings.Contains(num, "-") {
		return "", invalid("port %q: ranges are not supported; give each port", s)
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return "", invalid("port %q: %q is not a port number; give PORT[/PROTO] such as 8080 or 53/udp", s, num)
	}
	if n < 1 || n > 65535 {
		return "", invalid("port %q: %d is out of range; ports are 1 to 65535", s, n)
	}
	out := strconv.FormatUint(n, 10)
	if hasProto {
		out += "/" + proto
	}
	return out, nil
}

// compressedSuffixes are names of archive formats minimage does not write.
var compressedSuffixes = []string{
	".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tbz",
	".tar.lz4", ".gz", ".zst", ".xz", ".bz2", ".lz4", ".zip", ".7z", ".rar",
}

// ParseOutput reads an output as the minimage command line names it: a
// PATH ending in ".tar" is a Tarball file, anything else a Layout
// directory. A name that says a compressed or other archive format
// ("x.tgz", "x.tar.gz", "x.zip") is refused, as neither would hold what
// the name promises. Errors wrap ErrInvalid.
func ParseOutput(path string) (Output, error) {
	o := Output{Format: Layout, Path: path}
	if strings.HasSuffix(strings.ToLower(path), ".tar") {
		o.Format = Tarball
	}
	return o, checkOutputName(o)
}

func checkOutputName(o Output) error {
	if o.Path == "" {
		return invalid("output: no path; give a directory for an OCI layout or a FILE.tar")
	}
	if o.Writer != nil {
		if o.Format != Tarball {
			return invalid("output %s: a writer takes a tarball; set Format to Tarball", o.Path)
		}
		return nil
	}
	lower := strings.ToLower(filepath.Base(o.Path))
	for _, suf := range compressedSuffixes {
		if strings.HasSuffix(lower, suf) && lower != suf {
			stem := strings.TrimSuffix(o.Path, o.Path[len(o.Path)-len(suf):])
			return invalid("output %s: minimage writes an uncompressed tarball (name it %s.tar and compress it afterwards) or an OCI layout directory (a name without %s)", o.Path, stem, suf)
		}
	}
	return nil
}

// checkOutput checks an output before any work: its name, that its
// directory exists, and that what is at Path can be written or added to.
func checkOutput(o Output) error {
	if err := checkOutputName(o); err != nil {
		return err
	}
	if o.Writer != nil {
		return nil
	}
	parent := filepath.Dir(filepath.Clean(o.Path))
	if fi, err := os.Stat(parent); err != nil {
		return invalid("output %s: its directory %s does not exist; create it first", o.Path, parent)
	} else if !fi.IsDir() {
		return invalid("output %s: %s is not a directory", o.Path, parent)
	}
	fi, err := os.Stat(o.Path)
	exists := err == nil
	switch {
	case err != nil && !os.IsNotExist(err):
		return invalid("output %s: %v", o.Path, err)
	case o.Format == Tarball && exists && fi.IsDir():
		return invalid("output %s: is a directory; a tarball output must be a file (or give the directory as an OCI layout output)", o.Path)
	case o.Format == Tarball:
		return writable(parent, o.Path)
	case exists && !fi.IsDir():
		return invalid("output %s: is a file, not an OCI layout directory; name a directory, or FILE.tar for a tarball", o.Path)
	case exists:
		if err := layout.CheckDir(o.Path); err != nil {
			return invalid("output %s: %w: the directory holds other files; give a new or empty directory, or an existing layout", o.Path, err)
		}
		return writable(o.Path, o.Path)
	default:
		return writable(parent, o.Path)
	}
}

// checkCreated refuses times an image config cannot encode.
func checkCreated(t time.Time) error {
	if y := t.Year(); y < 0 || y > 9999 {
		return invalid("created time %s: year %d is outside 0 to 9999, which an image config can hold; give seconds since 1970, not milliseconds", t.Format(time.RFC3339), y)
	}
	return nil
}
