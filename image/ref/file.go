package ref

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// openTarball reads the tarball at p. A file that is no tar at all gets
// an error that says what it is instead.
func openTarball(p string) (*tarball.Tarball, error) {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return nil, fmt.Errorf("ref: %w", err)
	case !fi.Mode().IsRegular():
		return nil, &notImageError{p, "it is a " + fileKind(fi.Mode()), layout.ErrNotLayout}
	case fi.Size() == 0:
		return nil, &notImageError{p, "it is empty", layout.ErrNotLayout}
	}
	t, err := tarball.Read(p)
	if errors.Is(err, tarball.ErrNotTar) {
		return nil, &notImageError{p, sniff(p), err}
	}
	return t, err
}

// notImageError reports a file that is no image at all.
type notImageError struct {
	path, what string
	err        error
}

func (e *notImageError) Error() string {
	return fmt.Sprintf("%s is not an image: it is neither an OCI layout directory nor a tar file (%s); give an OCI layout directory or an image tarball (docker save, podman save, skopeo copy … oci-archive:, minimage build -o FILE.tar)", e.path, e.what)
}

func (e *notImageError) Unwrap() error { return e.err }

// sniff says what the start of the file p looks like.
func sniff(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case n == 0:
		return "it is empty"
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return "it is an ELF binary"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "it is a zip file"
	case bytes.HasPrefix(head, []byte("BZh")):
		return "it is bzip2-compressed; decompress it first (bunzip2)"
	case bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")):
		return "it is xz-compressed; decompress it first (xz -d)"
	case n < 512 && isText(head), n == 512 && isText(head[:500]):
		line, _, _ := strings.Cut(string(head), "\n")
		if len(line) > 24 {
			line = line[:24] + "…"
		}
		return "it is text that starts " + strconv.Quote(line)
	}
	return fmt.Sprintf("it starts with the bytes % x", head[:min(n, 8)])
}

func isText(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if (r == utf8.RuneError && size == 1) || (r < 0x20 && r != '\n' && r != '\r' && r != '\t') {
			// A rune cut at the end of the sample is still text.
			return len(b) < utf8.UTFMax && r == utf8.RuneError && !utf8.FullRune(b)
		}
		b = b[size:]
	}
	return true
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// onlyImage returns the entry of a layout that is not an artifact
// manifest, when there is exactly one and the layout holds others (the
// referrers minimage build --sbom-referrer writes beside an image).
func onlyImage(l *layout.Layout) (ocispec.Descriptor, bool) {
	var found []ocispec.Descriptor
	for _, d := range l.Manifests() {
		if d.ArtifactType == "" && !slices.ContainsFunc(found, func(f ocispec.Descriptor) bool { return f.Digest == d.Digest }) {
			found = append(found, d)
		}
	}
	if len(found) != 1 || len(l.Manifests()) == 1 {
		return ocispec.Descriptor{}, false
	}
	return found[0], true
}
