package gobinary

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

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
