package image

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// LabelGoVersion is the config label AddBinary sets to the Go version a
// binary was built with, such as "go1.26.8".
const LabelGoVersion = "dev.minimage.go.version"

// BinaryOptions control CheckBinary and AddBinary. The zero value rejects
// dynamically linked binaries and builds a gzip layer.
type BinaryOptions struct {
	// AllowDynamic accepts a dynamically linked binary, for a base image
	// that holds its C library and interpreter.
	AllowDynamic bool

	// Layer are the options of the binary's layer.
	Layer layer.Options

	// History describes the layer in the config's history; an empty
	// CreatedBy becomes "minimage: binary <dest>".
	History History

	// Files are more regular files for the binary's layer, path in the
	// image to content, each mode 0644 and owned by 0:0, such as a
	// software bill of materials that describes the binary. A path that
	// is the binary's is an error. The contents are not copied and must
	// not change until AddBinary returns. CheckBinary ignores them.
	Files map[string][]byte

	// Tee, if set, is written the binary's bytes as AddBinary reads them
	// into the layer, so that a caller can hash them (for an SBOM, say)
	// without reading the file a second time.
	Tee io.Writer
}

// BinaryInfo is what CheckBinary learns about a binary.
type BinaryInfo struct {
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
func (bi BinaryInfo) Source() string {
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
func (bi BinaryInfo) Revision() string { return bi.Settings["vcs.revision"] }

// CheckBinary reads the headers of the binary r and checks that it can run
// in an image of platform p. For a linux image it must be an ELF
// executable (ErrNotELF) for p's architecture (ErrWrongArch; for arm, a
// Go binary built with a GOARM above p's variant is rejected too), and
// statically linked (ErrDynamic) unless opts.AllowDynamic is set. Images
// for other operating systems are not checked. name is used in errors.
func CheckBinary(r io.ReaderAt, name string, p Platform, opts BinaryOptions) (BinaryInfo, error) {
	var bi BinaryInfo
	if b, err := buildinfo.Read(r); err == nil {
		bi.GoVersion, bi.Module, bi.Settings = b.GoVersion, b.Main.Path, map[string]string{}
		for _, s := range b.Settings {
			bi.Settings[s.Key] = s.Value
		}
	}
	if p.OS != "linux" {
		return bi, nil
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return bi, fmt.Errorf("image: binary %q: %w for %s: %s; give a program built with GOOS=linux GOARCH=%s", name, ErrNotELF, p, notELF(r, err), p.Architecture)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return bi, fmt.Errorf("image: binary %q: %w: it is an ELF %s file; give the linked program", name, ErrNotELF, f.Type)
	}
	bi.Arch, bi.Machine = elfArch(f), f.Machine.String()
	if bi.Arch != p.Architecture {
		arch := bi.Arch
		if arch == "" {
			arch = "an unknown architecture"
		}
		return bi, fmt.Errorf("image: binary %q is built for %s (%s) but the image is %s: %w; rebuild with GOARCH=%s", name, arch, bi.Machine, p, ErrWrongArch, p.Architecture)
	}
	if p.Architecture == "arm" {
		goarm, _, _ := strings.Cut(bi.Settings["GOARM"], ",")
		if want := strings.TrimPrefix(p.Variant, "v"); goarm != "" && want != "" && goarm > want {
			return bi, fmt.Errorf("image: binary %q is built for arm/v%s (GOARM=%s) but the image is %s: %w; rebuild with GOARCH=arm GOARM=%s", name, goarm, goarm, p, ErrWrongArch, want)
		}
	}
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(prog.Open(), 4096))
		bi.Interpreter = strings.TrimRight(string(b), "\x00")
		if !opts.AllowDynamic {
			return bi, fmt.Errorf("image: binary %q: %w (interpreter %s), which a minimal image does not have; rebuild it statically with CGO_ENABLED=0, or use a base image that has the C library and set BinaryOptions.AllowDynamic", name, ErrDynamic, bi.Interpreter)
		}
	}
	// Without an interpreter nothing loads shared libraries: a file that
	// needs them, or a shared object with no entry point, is a library,
	// and would crash as an entrypoint.
	if bi.Interpreter == "" {
		if needed, _ := f.ImportedLibraries(); len(needed) > 0 {
			return bi, fmt.Errorf("image: binary %q: %w: it needs the shared libraries %q but names no interpreter, so it is a shared library, not a program; give the linked executable", name, ErrNotELF, needed)
		}
		if f.Type == elf.ET_DYN && f.Entry == 0 {
			return bi, fmt.Errorf("image: binary %q: %w: it is an ELF shared object with no entry point; give the linked executable", name, ErrNotELF)
		}
	}
	return bi, nil
}

// AddBinary returns img with the host file hostPath added as dest
// (absolute; "app" means "/app"), mode 0755, owned by 0:0, in a layer of
// its own, after CheckBinary accepts it for img's platform. It also fills
// defaults the caller can override later with WithAnnotation, WithLabel
// and WithEntrypoint (values img already has are kept):
//   - the entrypoint [dest], when img has none;
//   - the annotation and label org.opencontainers.image.source, from a
//     Go module path that names a repository (see BinaryInfo.Source);
//   - the annotation and label org.opencontainers.image.revision, from
//     the vcs.revision build setting;
//   - the label LabelGoVersion.
//
// The file is opened once and read from that descriptor for both the check
// and the layer; it must not change while AddBinary runs.
func (img *Image) AddBinary(ctx context.Context, dest, hostPath string, opts BinaryOptions) (*Image, error) {
	dest = path.Clean("/" + dest)
	if dest == "/" {
		return nil, fmt.Errorf("image: add binary %q: destination is the root; give a file path such as /app", hostPath)
	}
	f, err := os.Open(hostPath)
	if err != nil {
		return nil, fmt.Errorf("image: add binary: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("image: add binary: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("image: add binary %q: %w: not a regular file", hostPath, ErrNotELF)
	}
	bi, err := CheckBinary(f, hostPath, img.Platform(), opts)
	if err != nil {
		return nil, err
	}
	b := layer.New(opts.Layer)
	var src io.Reader = io.NewSectionReader(f, 0, st.Size())
	if opts.Tee != nil {
		src = io.TeeReader(src, opts.Tee)
	}
	if err := b.AddReader(dest, src, st.Size(), layer.Attr{Mode: 0o755}); err != nil {
		return nil, fmt.Errorf("image: add binary %q: %w", hostPath, err)
	}
	for _, p := range slices.Sorted(maps.Keys(opts.Files)) {
		if err := b.AddFile(p, opts.Files[p], layer.Attr{Mode: 0o644}); err != nil {
			return nil, fmt.Errorf("image: add binary %q: file %s: %w", hostPath, p, err)
		}
	}
	l, err := b.Build(ctx)
	if err != nil {
		return nil, fmt.Errorf("image: add binary %q: %w", hostPath, err)
	}
	h := opts.History
	if h.CreatedBy == "" {
		h.CreatedBy = "minimage: binary " + dest
	}
	n := img.AppendLayer(l, h)
	c := &n.config.Config
	if len(c.Entrypoint) == 0 {
		c.Entrypoint = []string{dest}
	}
	defaults := map[string]string{ocispec.AnnotationSource: bi.Source(), ocispec.AnnotationRevision: bi.Revision()}
	for k, v := range defaults {
		if v == "" {
			continue
		}
		if _, ok := n.annotations[k]; !ok {
			n.annotations = setOrDelete(n.annotations, k, v)
		}
		if _, ok := c.Labels[k]; !ok {
			c.Labels = setOrDelete(c.Labels, k, v)
		}
	}
	if _, ok := c.Labels[LabelGoVersion]; !ok && bi.GoVersion != "" {
		c.Labels = setOrDelete(c.Labels, LabelGoVersion, bi.GoVersion)
	}
	return n, nil
}

// elfArch returns the GOARCH of an ELF file's machine, class and byte
// order, or "" for one Go does not know.
func elfArch(f *elf.File) string {
	is64 := f.Class == elf.ELFCLASS64
	le := f.Data == elf.ELFDATA2LSB
	switch f.Machine {
	case elf.EM_X86_64:
		if is64 {
			return "amd64"
		}
	case elf.EM_386:
		return "386"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_PPC64:
		if le {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_S390:
		if is64 {
			return "s390x"
		}
	case elf.EM_RISCV:
		if is64 {
			return "riscv64"
		}
	case elf.EM_LOONGARCH:
		return "loong64"
	case elf.EM_MIPS:
		switch {
		case is64 && le:
			return "mips64le"
		case is64:
			return "mips64"
		case le:
			return "mipsle"
		}
		return "mips"
	}
	return ""
}

// notELF says what a file that is not an ELF executable is instead, from
// its first bytes: what the user gave by mistake, rather than the ELF
// reader's "bad magic number".
func notELF(r io.ReaderAt, err error) string {
	head := make([]byte, 64)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case n == 0:
		return "the file is empty"
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return fmt.Sprintf("it is a damaged or truncated ELF file (%v)", err)
	case bytes.HasPrefix(head, []byte("MZ")):
		return "it is a Windows executable (PE), not a Linux one"
	case n >= 4 && slices.Contains([]uint32{0xfeedface, 0xfeedfacf, 0xcafebabe}, binary.BigEndian.Uint32(head)) ||
		n >= 4 && slices.Contains([]uint32{0xfeedface, 0xfeedfacf}, binary.LittleEndian.Uint32(head)):
		return "it is a macOS executable (Mach-O), not a Linux one"
	case bytes.HasPrefix(head, []byte("#!")):
		line, _, _ := bytes.Cut(head, []byte("\n"))
		return fmt.Sprintf("it is a script (%q), not a compiled program", line)
	case isText(head):
		line, _, _ := bytes.Cut(head, []byte("\n"))
		if len(line) > 24 {
			line = append(line[:24:24], "…"...)
		}
		return fmt.Sprintf("it is a text file (%q), not a compiled program", line)
	}
	return fmt.Sprintf("it does not start with ELF's magic bytes 7f 45 4c 46 but with % x", head[:min(n, 4)])
}

// isText reports whether b is UTF-8 text without control characters
// other than tabs and line ends; a rune cut at the end of b counts.
func isText(b []byte) bool {
	for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool { return r < ' ' && r != '\n' && r != '\r' && r != '\t' })
}
