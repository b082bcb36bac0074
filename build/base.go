package build

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
)

// Base is the image a build starts from: a layout, a tarball, a registry,
// or images in memory. Its layers come first in the built image,
// unchanged, and its config is inherited.
type Base interface {
	// Image returns the base image for p, exactly as stored: its digest
	// is the one the built image records as its base. A base that has no
	// image for p returns an error wrapping image.ErrNotFound.
	Image(ctx context.Context, p image.Platform) (*image.Image, error)

	// Name returns the reference the built images record as
	// org.opencontainers.image.base.name, such as
	// "docker.io/library/alpine:3.20"; "" records none.
	Name() string
}

// OpenBase opens the base that ref names, on disk or in a registry, as
// OpenBaseWith does with remote's default Options: TLS verified against
// the system roots, credentials from docker's and podman's files.
func OpenBase(ref string) (Base, error) {
	return OpenBaseWith(ref, remote.Options{})
}

// OpenBaseWith opens the base that ref names, talking to a registry with
// opts. ref is read in this order:
//
//   - PATH[:TAG] of an OCI layout directory or a tarball (as minimage,
//     docker save or skopeo write them), when PATH exists. PATH and TAG
//     may both hold colons ("alpine.tar:alpine:3.20"): PATH is the
//     shortest prefix before a colon that exists on disk. Without a TAG
//     the layout must hold one entry. The TAG is the base's Name.
//   - Otherwise REGISTRY/REPOSITORY[:TAG][@DIGEST], an image or index in
//     a registry, read as RegistryBase reads it. As docker reads a
//     reference, a first component with a dot or a colon, or
//     "localhost", is the registry; any other name is on Docker Hub
//     ("alpine:3.20" is docker.io/library/alpine:3.20).
//
// An existing path always wins, so a file named like a reference shadows
// the registry; write "./name" for a file that must not be read from a
// registry. A name that is not on disk and not a valid reference, or that
// ends in ".tar" (a missing tarball, not a repository), is an error that
// wraps ErrInvalid and names what was looked for.
func OpenBaseWith(ref string, opts remote.Options) (Base, error) {
	path, tag := SplitRef(ref)
	fi, err := os.Stat(path)
	if err != nil {
		if !os.IsNotExist(err) {
			return nil, fmt.Errorf("build: base %s: %w", ref, err)
		}
		return openRegistryBase(ref, opts)
	}
	var src image.Source
	if fi.IsDir() {
		src, err = layout.Read(path)
	} else {
		src, err = tarball.Read(path)
	}
	if err != nil {
		return nil, fmt.Errorf("build: base %s: %w", ref, err)
	}
	return &sourceBase{ref: ref, tag: tag, src: src}, nil
}

// openRegistryBase is OpenBaseWith for a ref that is not on disk.
func openRegistryBase(ref string, opts remote.Options) (Base, error) {
	if strings.HasSuffix(strings.ToLower(ref), ".tar") {
		return nil, invalid("base %s: no such file; give an existing layout or tarball PATH[:TAG], or a registry reference REGISTRY/REPOSITORY:TAG", ref)
	}
	r, err := remote.ParseReference(ref)
	if err != nil {
		return nil, invalid("base %s: no such file or directory, and not a registry reference (%w); give an existing layout or tarball PATH[:TAG], or REGISTRY/REPOSITORY:TAG", ref, err)
	}
	b := &registryBase{ref: r.String(), opts: opts}
	if first, _, _ := strings.Cut(ref, "/"); r.Registry == "docker.io" && first != "docker.io" && first != "index.docker.io" {
		// No registry named: a missing file is as likely as an image
		// on Docker Hub, so errors say both.
		b.notFile = ref
	}
	return b, nil
}

// SourceBase returns the base tagged tag in src, such as a layout, a
// tarball or a registry; tag is also its Name.
func SourceBase(src image.Source, tag string) Base {
	return &sourceBase{ref: tag, tag: tag, src: src}
}

type sourceBase struct {
	ref, tag string
	src      image.Source
}

func (b *sourceBase) Image(ctx context.Context, p image.Platform) (*image.Image, error) {
	img, err := b.src.Image(ctx, b.tag, p)
	if err != nil {
		return nil, fmt.Errorf("build: base %s: %w", b.ref, err)
	}
	return img, nil
}

func (b *sourceBase) Name() string { return b.tag }

// SplitRef splits PATH[:TAG]. Both may hold colons (a tag such as
// "app:v1"), so PATH is the shortest prefix before a colon that exists on
// disk; a ref that exists whole is all PATH.
func SplitRef(s string) (path, tag string) {
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	for i := 1; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		if _, err := os.Stat(s[:i]); err == nil {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// BaseOf returns a Base of images in memory, such as ones built with
// package image or taken from a registry: Image picks the one for a
// platform (as image.Platform.Matches matches them), and name is the base's Name.
func BaseOf(name string, imgs ...*image.Image) Base {
	return imagesBase{name: name, imgs: imgs}
}

type imagesBase struct {
	name string
	imgs []*image.Image
}

func (b imagesBase) Image(ctx context.Context, p image.Platform) (*image.Image, error) {
	img, err := image.SelectImage(b.imgs, p)
	if err != nil {
		return nil, fmt.Errorf("build: base %s: %w", b.name, err)
	}
	return img, nil
}

func (b imagesBase) Name() string { return b.name }
