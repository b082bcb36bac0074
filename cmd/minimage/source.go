package main

// Opening what inspect, export and verify read: an OCI layout directory,
// a tarball, or (inspect and export) a registry reference.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
)

// openLayout opens a layout directory or a tarball. A file that is
// neither gets an error that says what it is instead.
func openLayout(p string) (image.Source, error) {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s does not exist; give an OCI layout directory or an image tarball (docker save, podman save, skopeo copy … oci-archive:, minimage build -o FILE.tar)", p)
	case err != nil:
		return nil, err
	case fi.IsDir():
		return layout.Read(p)
	case !fi.Mode().IsRegular():
		return nil, &notImageError{p, fmt.Sprintf("it is a %s", fileKind(fi.Mode())), layout.ErrNotLayout}
	case fi.Size() == 0:
		return nil, &notImageError{p, "it is empty", layout.ErrNotLayout}
	}
	t, err := tarball.Read(p)
	if errors.Is(err, layout.ErrNotLayout) && strings.Contains(err.Error(), "not a tar file") {
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
		return "it is text that starts " + quoteAlways(line)
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

func quoteAlways(s string) string {
	if needsQuote(s) {
		return quote(s)
	}
	return `"` + s + `"`
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

// isRemote reports whether src, which is not on disk, names a registry
// repository: REGISTRY/REPOSITORY[:TAG|@DIGEST] with a registry host
// that has a dot or a port, or is localhost.
func isRemote(src string) bool {
	if _, err := os.Stat(src); err == nil {
		return false
	}
	host, rest, ok := strings.Cut(src, "/")
	if !ok || rest == "" {
		return false
	}
	if p, _ := splitSource(src); p != src {
		return false // PATH:TAG of something on disk
	}
	return strings.ContainsAny(host, ".:") || host == "localhost"
}

// remoteSource is an image.Source of one artifact pulled from a registry.
type remoteSource struct {
	ref string
	a   image.Artifact
}

func pullSource(ctx context.Context, ref string, opts remote.Options) (*remoteSource, error) {
	a, err := remote.Pull(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	return &remoteSource{ref, a}, nil
}

func (s *remoteSource) Tags() []string { return []string{s.ref} }

func (s *remoteSource) Artifact(ctx context.Context, tag string) (image.Artifact, error) {
	return s.a, nil
}

func (s *remoteSource) Image(ctx context.Context, tag string, p image.Platform) (*image.Image, error) {
	imgs := artifactImages(s.a)
	for _, img := range imgs {
		if p == (image.Platform{}) || samePlatform(p, img.Platform()) {
			return img, nil
		}
	}
	return nil, fmt.Errorf("%s: %w: no image for %s; it has %s", s.ref, image.ErrNotFound, p, platformList(imgs))
}

func (s *remoteSource) Images(ctx context.Context, tag string) ([]*image.Image, error) {
	return artifactImages(s.a), nil
}

func (s *remoteSource) Verify(ctx context.Context) (int, error) { return image.Verify(ctx, s.a) }

// artifactImages returns the images a reaches.
func artifactImages(a image.Artifact) []*image.Image {
	switch a := a.(type) {
	case *image.Image:
		return []*image.Image{a}
	case *image.Index:
		return a.Images()
	}
	return nil
}

// samePlatform reports whether img of platform q serves a request for p;
// an empty p.Variant matches any variant.
func samePlatform(p, q image.Platform) bool {
	return p.OS == q.OS && p.Architecture == q.Architecture && (p.Variant == "" || p.Variant == q.Variant ||
		(p.Architecture == "arm64" && (p.Variant == "v8" && q.Variant == "" || p.Variant == "" && q.Variant == "v8")))
}

// platformList names the platforms of imgs, for an error.
func platformList(imgs []*image.Image) string {
	var ps []string
	for _, img := range imgs {
		if s := img.Platform().String(); !slices.Contains(ps, s) {
			ps = append(ps, s)
		}
	}
	if len(ps) == 0 {
		return "no image at all"
	}
	return strings.Join(ps, ", ")
}
