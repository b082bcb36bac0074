package build

import (
	"context"
	"fmt"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
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

// OpenBase opens the base that name gives, on disk or in a registry, as
// OpenBaseWith does with remote's default Options: TLS verified against
// the system roots, credentials from docker's and podman's files.
func OpenBase(name string) (Base, error) {
	return OpenBaseWith(name, remote.Options{})
}

// OpenBaseWith opens the base that name gives, talking to a registry
// with opts. name is read by ref.Parse with Docker Hub for names that
// name no registry:
//
//   - PATH[:TAG] of an OCI layout directory or a tarball (as minimage,
//     docker save or skopeo write them), when PATH exists. PATH and TAG
//     may both hold colons ("alpine.tar:alpine:3.20"). Without a TAG the
//     layout must hold one entry. The TAG is the base's Name.
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
func OpenBaseWith(name string, opts remote.Options) (Base, error) {
	r, err := ref.Parse(name, ref.Options{DockerHub: true})
	if err != nil {
		return nil, invalid("base: %w", err)
	}
	if r.Kind == ref.Registry {
		b := &registryBase{ref: r.Reference.String(), opts: opts}
		if r.Implied {
			// No registry named: a missing file is as likely as an
			// image on Docker Hub, so errors say both.
			b.notFile = name
		}
		return b, nil
	}
	src, err := r.Open(context.Background(), opts)
	if err != nil {
		return nil, fmt.Errorf("build: base %s: %w", name, err)
	}
	return &sourceBase{ref: name, tag: r.Tag, src: src}, nil
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
