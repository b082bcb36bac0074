// Package gobinary checks a program before it goes into an image, and adds
// it in a layer of its own.
//
// [Check] reads a binary's ELF header and rejects, for a linux image, one
// built for another architecture ([ErrWrongArch]), one that is dynamically
// linked ([ErrDynamic]) and one that is not an ELF executable
// ([ErrNotELF]), each with the fix in the message. [Add] checks the binary
// for an image's platform, adds it, and fills the image's source and
// revision annotations and its [LabelGoVersion] label from the binary's Go
// build information.
package gobinary

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/minimage/minimage/image"
)

// Sentinel errors, to be tested with errors.Is. The errors this package
// returns wrap them with the file concerned and the fix.
var (
	// ErrNotELF reports a binary for a linux image that is not an ELF
	// executable.
	ErrNotELF = errors.New("not an ELF executable")

	// ErrWrongArch reports a binary built for another architecture (or
	// arm variant) than the image's.
	ErrWrongArch = errors.New("binary built for another architecture")

	// ErrDynamic reports a dynamically linked binary (one with an ELF
	// interpreter) without Options.AllowDynamic.
	ErrDynamic = errors.New("binary is dynamically linked")
)

// DynamicError is Check's error for a dynamically linked binary; it
// wraps ErrDynamic.
type DynamicError struct {
	Name        string // the binary's name, as Check was given it
	Interpreter string // its ELF interpreter, such as /lib64/ld-linux-x86-64.so.2
}

func (e *DynamicError) Error() string {
	return fmt.Sprintf("gobinary: %q: %v (interpreter %s), which a minimal image does not have; rebuild it statically with CGO_ENABLED=0, or use a base image that has the C library and set Options.AllowDynamic", e.Name, ErrDynamic, e.Interpreter)
}

// Unwrap returns ErrDynamic.
func (e *DynamicError) Unwrap() error { return ErrDynamic }

// Info is what Check learns about a binary.
type Info struct {
	// Arch is the GOARCH the ELF header names ("" when not ELF).
	Arch string
	// Machine is the ELF machine, such as "EM_AARCH64".
	Machine string
	// Interpreter is the ELF interpreter of a dynamically linked binary.
	Interpreter string
	// GoVersion, Module and Settings come from Go's build information;
	// they are empty for a binary not built by Go.
	GoVersion string
	Module    string
	Settings  map[string]string
}

// Source returns the repository URL that the binary's main module path
// names, for the hosts where the two match (github.com, gitlab.com,
// bitbucket.org, codeberg.org): "github.com/x/y/cmd/z" gives
// "https://github.com/x/y". It returns "" otherwise.
func (bi Info) Source() string {
	parts := strings.Split(bi.Module, "/")
	switch parts[0] {
	case "github.com", "gitlab.com", "bitbucket.org", "codeberg.org":
		if len(parts) >= 3 && parts[1] != "" && parts[2] != "" {
			return "https://" + strings.Join(parts[:3], "/")
		}
	}
	return ""
}

// Revision returns the version control revision the binary was built at
// (Go's vcs.revision setting), or "".
func (bi Info) Revision() string { return bi.Settings["vcs.revision"] }

// Platform returns the platform the binary is built for: linux/Arch,
// with the variant its Go build settings name: GOARM for arm (v5 to v7),
// GOAMD64 above v1 for amd64 (v2 to v4), GOARM64 v9.x for arm64 (v9). A
// binary not built by Go has no variant. It is the zero Platform when
// Arch is "": not an ELF file, or an architecture Go does not know.
func (bi Info) Platform() image.Platform {
	if bi.Arch == "" {
		return image.Platform{}
	}
	p := image.Platform{OS: "linux", Architecture: bi.Arch}
	switch bi.Arch {
	case "arm":
		if v, _, _ := strings.Cut(bi.Settings["GOARM"], ","); v != "" {
			p.Variant = "v" + v
		}
	case "amd64":
		if v := bi.Settings["GOAMD64"]; v != "" && v != "v1" {
			p.Variant = v
		}
	case "arm64":
		if strings.HasPrefix(bi.Settings["GOARM64"], "v9") {
			p.Variant = "v9"
		}
	}
	return p
}

// Check reads the headers of the binary r and checks that it can run in
// an image of platform p. For a linux image it must be an ELF executable
// (ErrNotELF) for p's architecture (ErrWrongArch; a Go binary built for a
// variant above p's, such as GOARM=7 for linux/arm/v6 or GOAMD64=v3 for
// linux/amd64, is rejected too), and statically linked (ErrDynamic)
// unless opts.AllowDynamic is set. Images for other operating systems are
// not checked. Of opts, only AllowDynamic counts. name is used in errors.
func Check(r io.ReaderAt, name string, p image.Platform, opts Options) (Info, error) {
	bi := readBuildInfo(r)
	if p.OS != "linux" {
		return bi, nil
	}
	return checkELF(r, name, &p, bi, opts)
}

// Inspect reads the headers of the binary r and checks it as Check does
// for the platform it is built for, which the Info's Platform method
// returns: a linux ELF executable (ErrNotELF) of an architecture Go
// builds for (ErrWrongArch), statically linked (ErrDynamic) unless
// opts.AllowDynamic is set. name is used in errors.
func Inspect(r io.ReaderAt, name string, opts Options) (Info, error) {
	return checkELF(r, name, nil, readBuildInfo(r), opts)
}

// readBuildInfo returns an Info holding the binary's Go build
// information, empty for a binary not built by Go.
func readBuildInfo(r io.ReaderAt) Info {
	var bi Info
	if b, err := buildinfo.Read(r); err == nil {
		bi.GoVersion, bi.Module, bi.Settings = b.GoVersion, b.Main.Path, map[string]string{}
		for _, s := range b.Settings {
			bi.Settings[s.Key] = s.Value
		}
	}
	return bi
}

// checkELF reads the ELF header into bi and checks the file for p, or
// with a nil p for the platform it is built for.
func checkELF(r io.ReaderAt, name string, p *image.Platform, bi Info, opts Options) (Info, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		if p == nil {
			return bi, fmt.Errorf("gobinary: %q: %w: %s; give a program built with GOOS=linux", name, ErrNotELF, notELF(r, err))
		}
		return bi, fmt.Errorf("gobinary: %q: %w for %s: %s; give a program built with GOOS=linux GOARCH=%s", name, ErrNotELF, p, notELF(r, err), p.Architecture)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return bi, fmt.Errorf("gobinary: %q: %w: it is an ELF %s file; give the linked program", name, ErrNotELF, f.Type)
	}
	bi.Arch, bi.Machine = elfArch(f), f.Machine.String()
	switch {
	case p != nil:
		err = checkArch(bi, name, *p)
	case bi.Arch == "":
		err = fmt.Errorf("gobinary: %q is built for %s, an architecture Go does not build for: %w; give a program built with GOOS=linux and a GOARCH such as amd64 or arm64", name, bi.Machine, ErrWrongArch)
	}
	if err != nil {
		return bi, err
	}
	if bi.Interpreter = interpreter(f); bi.Interpreter != "" && !opts.AllowDynamic {
		return bi, &DynamicError{Name: name, Interpreter: bi.Interpreter}
	}
	// Without an interpreter nothing loads shared libraries: a file that
	// needs them, or a shared object with no entry point, is a library,
	// and would crash as an entrypoint.
	if bi.Interpreter == "" {
		if needed, _ := f.ImportedLibraries(); len(needed) > 0 {
			return bi, fmt.Errorf("gobinary: %q: %w: it needs the shared libraries %q but names no interpreter, so it is a shared library, not a program; give the linked executable", name, ErrNotELF, needed)
		}
		if f.Type == elf.ET_DYN && f.Entry == 0 {
			return bi, fmt.Errorf("gobinary: %q: %w: it is an ELF shared object with no entry point; give the linked executable", name, ErrNotELF)
		}
	}
	return bi, nil
}

// checkArch checks that the binary bi is built for p's architecture and
// for no variant above p's: GOARM for arm (when p names a variant),
// GOAMD64 for amd64 (no variant is v1), GOARM64 for arm64 (no variant is
// v8).
func checkArch(bi Info, name string, p image.Platform) error {
	if bi.Arch != p.Architecture {
		arch := bi.Arch
		if arch == "" {
			arch = "an unknown architecture"
		}
		return fmt.Errorf("gobinary: %q is built for %s (%s) but the image is %s: %w; rebuild with GOARCH=%s", name, arch, bi.Machine, p, ErrWrongArch, p.Architecture)
	}
	got := bi.Platform().Variant
	if got == "" || p.Architecture == "arm" && p.Variant == "" {
		return nil
	}
	v := variants[p.Architecture]
	want := p.Variant
	if want == "" {
		want = v.def
	}
	if got <= want { // one digit each: v1 to v4, v5 to v7, v8 or v9
		return nil
	}
	fix := v.env + "=" + want
	switch p.Architecture {
	case "arm":
		fix = "GOARCH=arm GOARM=" + strings.TrimPrefix(want, "v")
	case "arm64":
		fix += ".0"
	}
	return fmt.Errorf("gobinary: %q is built for %s/%s (%s=%s) but the image is %s: %w; rebuild with %s, or give the platform linux/%s/%s", name, p.Architecture, got, v.env, bi.Settings[v.env], p, ErrWrongArch, fix, p.Architecture, got)
}

// variants are the architectures whose Go build settings name a variant:
// the setting, and the variant an image platform without one means.
var variants = map[string]struct{ env, def string }{
	"arm":   {"GOARM", ""},
	"amd64": {"GOAMD64", "v1"},
	"arm64": {"GOARM64", "v8"},
}

// interpreter returns the ELF interpreter f names, or "" for a statically
// linked file.
func interpreter(f *elf.File) string {
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b, _ := io.ReadAll(io.LimitReader(prog.Open(), 4096))
			return strings.TrimRight(string(b), "\x00")
		}
	}
	return ""
}
