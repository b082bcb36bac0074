// Package ref reads the strings users name an image by, and opens what
// they name: an OCI layout directory (DIR or DIR:TAG), a tarball
// (FILE.tar or FILE.tar:TAG, as minimage, docker save, podman save or
// skopeo write them), or a registry reference
// (REGISTRY/REPOSITORY[:TAG][@DIGEST]). The build's base and every
// command of minimage read names through it, so that they read them
// alike. It sits above image/layout, image/tarball and image/remote,
// which package image cannot import.
//
// A name is read in this order. PATH[:TAG] when PATH exists on disk:
// PATH and TAG may both hold colons ("alpine.tar:alpine:3.20"), so PATH is
// the whole name when that exists, else its shortest prefix before a
// colon that exists. Otherwise a registry reference, unless the name ends
// in ".tar" (a missing tarball, not a repository). An existing path always
// wins; write "./name" for a file that must not be read from a registry.
package ref

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
)

// Kind says where a Ref points.
type Kind int

const (
	// Layout is an OCI image-layout directory.
	Layout Kind = iota + 1
	// Tarball is a tarball file.
	Tarball
	// Registry is an image or index in a registry.
	Registry
)

// Ref is a parsed name: where the image is, and which entry.
type Ref struct {
	// Kind says where the image is.
	Kind Kind
	// Path is the layout directory or tarball, for Layout and Tarball.
	Path string
	// Tag is the entry in Path, as the reader's own tag lookup reads it
	// (a short tag such as "v1" or a full name); "" takes the only entry.
	Tag string
	// Reference is the registry reference, for Registry.
	Reference remote.Reference
	// Implied reports a Registry name that named no registry and was read
	// as Docker Hub's because no file has it (Options.DockerHub).
	Implied bool
	// Name is the name as given.
	Name string
}

// Options says how Parse reads a name that is not on disk.
type Options struct {
	// DockerHub reads a name that names no registry ("alpine:3.20", as
	// opposed to "ghcr.io/me/app:v1" or "localhost:5000/app") as Docker
	// Hub's, as docker does. Without it, such a name is an error that
	// gives the full reference to write.
	DockerHub bool
	// Local refuses registry references: only a layout or a tarball
	// will do.
	Local bool
}

// ErrNotExist reports a name that is no file or directory and is not read
// as a registry reference. It wraps fs.ErrNotExist.
var ErrNotExist = fmt.Errorf("ref: %w", fs.ErrNotExist)

// Parse reads name as the package doc says. It reads nothing but the
// file system's metadata and sends no request. A name that is neither is
// an error wrapping ErrNotExist that says what to give instead.
func Parse(name string, opts Options) (Ref, error) {
	path, tag, fi, ok := splitPath(name)
	if ok {
		r := Ref{Kind: Tarball, Path: path, Tag: tag, Name: name}
		if fi.IsDir() {
			r.Kind = Layout
		}
		return r, nil
	}
	const local = "give an OCI layout directory or an image tarball (docker save, podman save, skopeo copy … oci-archive:, minimage build -o FILE.tar)"
	if opts.Local {
		return Ref{}, &notExistError{fmt.Sprintf("%s does not exist; %s", name, local)}
	}
	rr, err := remote.ParseReference(name)
	if err != nil || strings.HasSuffix(strings.ToLower(name), ".tar") {
		return Ref{}, &notExistError{fmt.Sprintf("%s does not exist; %s, or a registry reference REGISTRY/REPOSITORY[:TAG]", name, local)}
	}
	implied := !namesRegistry(name)
	if implied && !opts.DockerHub {
		return Ref{}, &notExistError{fmt.Sprintf("%s does not exist; give an OCI layout directory or an image tarball, or for a registry image name its registry: %s", name, rr)}
	}
	return Ref{Kind: Registry, Reference: rr, Implied: implied, Name: name}, nil
}

// namesRegistry reports whether name's first component names a registry,
// as docker reads it: it has a dot or a colon, or is "localhost".
func namesRegistry(name string) bool {
	host, rest, ok := strings.Cut(name, "/")
	if !ok || rest == "" {
		return false
	}
	return strings.ContainsAny(host, ".:") || host == "localhost" || host == "docker.io" || host == "index.docker.io"
}

// splitPath splits PATH[:TAG] where PATH exists.
func splitPath(s string) (path, tag string, fi fs.FileInfo, ok bool) {
	if fi, err := os.Stat(s); err == nil {
		return s, "", fi, true
	}
	for i := 1; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		if fi, err := os.Stat(s[:i]); err == nil {
			return s[:i], s[i+1:], fi, true
		}
	}
	return s, "", nil, false
}

// String returns the name as given.
func (r Ref) String() string { return r.Name }

// Open opens the layout or tarball, or pulls the artifact from the
// registry with opts (see remote.PullSource). A file that is no image
// gets an error wrapping layout.ErrNotLayout that says what it is.
func (r Ref) Open(ctx context.Context, opts remote.Options) (image.Source, error) {
	switch r.Kind {
	case Layout:
		return layout.Read(r.Path)
	case Tarball:
		return openTarball(r.Path)
	case Registry:
		return remote.PullSource(ctx, r.Name, opts)
	}
	return nil, fmt.Errorf("ref: %q was not made by Parse", r.Name)
}

// Artifact opens r and returns the entry r.Tag names, as stored. With no
// tag, a layout that holds one image or index beside artifacts that are
// not (the referrers "minimage build --sbom-referrer" writes) gives that
// one.
func (r Ref) Artifact(ctx context.Context, opts remote.Options) (image.Artifact, error) {
	src, err := r.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if l, ok := src.(*layout.Layout); ok && r.Tag == "" {
		if d, ok := onlyImage(l); ok {
			return image.Load(ctx, l, d)
		}
	}
	return src.Artifact(ctx, r.Tag)
}

// Image returns r's image for p (see image.Platform.Matches); a zero p
// takes the first. From a registry only that image's manifest and config
// are read (remote.PullImage). No image for p is an *image.PlatformError.
func (r Ref) Image(ctx context.Context, p image.Platform, opts remote.Options) (*image.Image, error) {
	if r.Kind == Registry {
		return remote.PullImage(ctx, r.Name, p, opts)
	}
	src, err := r.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	return src.Image(ctx, r.Tag, p)
}

type notExistError struct{ msg string }

func (e *notExistError) Error() string { return "ref: " + e.msg }
func (e *notExistError) Is(target error) bool {
	return target == ErrNotExist || target == fs.ErrNotExist
}
