package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// The tags the recipes get in the output layout.
const (
	TagScratch = "scratch" // recipe 1: FROM scratch, the binary alone
	TagOnBase  = "on-base" // recipe 2: FROM alpine (or any base) + CA bundle
	TagDefault = "default" // recipe 3: minimage's distroless-style default
)

// BinaryPath is where every recipe puts the binary, as the Dockerfiles'
// COPY --from=build /src/app /app does; it is also the entrypoint.
const BinaryPath = "/app"

// Options say what to build. Binary and Out are required.
type Options struct {
	// Binary is the host path of a statically linked Go binary for
	// Platform (CGO_ENABLED=0 go build).
	Binary string

	// Package is a Go package to compile for Platform instead, as the
	// Dockerfiles' build stage does (CGO_ENABLED=0, -trimpath). Give
	// exactly one of Binary and Package.
	Package string

	// Base is PATH[:TAG]: an OCI layout directory or a tarball (docker
	// save, skopeo copy, minimage build -o x.tar) and the tag of the image
	// in it, which may itself hold colons ("alpine:3.20"). Without a TAG
	// the layout must hold one entry. An empty Base skips recipe 2.
	Base string

	// Out is the OCI layout directory the images are written to, tagged
	// TagScratch, TagOnBase and TagDefault. Other tags in it are kept.
	Out string

	// Platform is the images' platform, such as linux/amd64; it must be
	// set, and Binary must be built for it.
	Platform image.Platform

	// Zones are the time zones recipe 3 holds, such as "Europe/Paris" or
	// "America/*"; nil means none.
	Zones []string

	// Root makes every image run as root (0:0). By default they run as
	// image.DefaultUser, 65532:65532, as minimage's CLI does, also on a
	// base whose config says otherwise.
	Root bool

	// Layer holds the options every new layer is built with (compression,
	// level, ModTime).
	Layer layer.Options
}

// Sizes are what an image weighs.
type Sizes struct {
	// Layers is the number of layers.
	Layers int
	// Compressed is what a registry stores and a pull downloads: the
	// layer blobs, the config and the manifest, in bytes.
	Compressed int64
	// Uncompressed is the sum of the layers' tar streams, in bytes: about
	// what the image takes once unpacked (tar headers included).
	Uncompressed int64
}

// Sub returns s less t, field by field.
func (s Sizes) Sub(t Sizes) Sizes {
	return Sizes{s.Layers - t.Layers, s.Compressed - t.Compressed, s.Uncompressed - t.Uncompressed}
}

// Recipe is one image built and written.
type Recipe struct {
	// Tag is the image's tag in Options.Out.
	Tag string
	// Title says which Dockerfile recipe it replaces.
	Title string
	// Image is the image as written.
	Image *image.Image
	// Sizes are Image's.
	Sizes Sizes
	// Base is the base image's sizes for recipe 2, nil otherwise.
	Base *Sizes
}

// Build builds the recipes from one binary with package build, writes
// them into opts.Out and returns them in order: scratch, on-base (when
// opts.Base is set), default. The CA bundle layer recipes 2 and 3 share
// has the same bytes, so the layout stores it once.
func Build(ctx context.Context, opts Options) ([]Recipe, error) {
	switch {
	case (opts.Binary == "") == (opts.Package == ""):
		return nil, errors.New("recipes: set exactly one of Options.Binary, a statically linked Go binary, and Options.Package, a Go package")
	case opts.Out == "":
		return nil, errors.New("recipes: no output: set Options.Out to the OCI layout directory to write")
	}
	if opts.Platform.OS == "" || opts.Platform.Architecture == "" {
		return nil, fmt.Errorf("recipes: platform %q: give an OS and an architecture, such as linux/amd64", opts.Platform)
	}
	var out []Recipe
	add := func(tag, title string, r build.Recipe) error {
		r.Package, r.Path, r.Platforms = opts.Package, BinaryPath, []image.Platform{opts.Platform}
		if opts.Binary != "" {
			r.Binaries = []build.Binary{{Path: opts.Binary, Platform: opts.Platform}}
		}
		if opts.Root {
			r.User = "root"
		}
		r.Layer, r.Created = opts.Layer, opts.Layer.ModTime
		r.Outputs = []build.Output{{Format: build.Layout, Path: opts.Out}}
		r.Tags = []string{tag}
		res, err := build.Run(ctx, r)
		if err != nil {
			return fmt.Errorf("recipes: %s: %w", tag, err)
		}
		out = append(out, Recipe{Tag: tag, Title: title, Image: res.Images[0]})
		return nil
	}

	// 1. FROM scratch + COPY --from=build /src/app /app: one layer.
	if err := add(TagScratch, "1. `FROM scratch`", build.Recipe{Bare: true}); err != nil {
		return nil, err
	}

	// 2. FROM alpine + apk add ca-certificates: the base's layers, the
	// CA bundle, the binary.
	if opts.Base != "" {
		b, err := build.OpenBase(opts.Base)
		if err != nil {
			return nil, fmt.Errorf("recipes: %w", err)
		}
		baseImg, err := b.Image(ctx, opts.Platform)
		if err != nil {
			return nil, fmt.Errorf("recipes: %w", err)
		}
		bs, err := SizesOf(ctx, baseImg)
		if err != nil {
			return nil, fmt.Errorf("recipes: base %s: %w", opts.Base, err)
		}
		name := b.Name()
		if name == "" {
			name = "base"
		}
		if err := add(TagOnBase, "2. `FROM "+name+"` + CA bundle", build.Recipe{Base: b}); err != nil {
			return nil, err
		}
		out[len(out)-1].Base = &bs
	}

	// 3. The distroless-style default: base files, CA bundle, zones.
	if err := add(TagDefault, "3. minimage default", build.Recipe{Zones: opts.Zones}); err != nil {
		return nil, err
	}
	for i := range out {
		r := &out[i]
		var err error
		if r.Sizes, err = SizesOf(ctx, r.Image); err != nil {
			return nil, fmt.Errorf("recipes: %s: %w", r.Tag, err)
		}
	}
	return out, nil
}

// SizesOf returns img's sizes. A layer read from a layout does not know
// its tar size, so its tar stream is read (and its diffID checked) to
// count it.
func SizesOf(ctx context.Context, img *image.Image) (Sizes, error) {
	layers := img.Layers()
	s := Sizes{Layers: len(layers), Compressed: int64(len(img.RawConfig()) + len(img.RawManifest()))}
	for _, l := range layers {
		s.Compressed += l.Size()
		n := l.TarSize()
		if n < 0 {
			rc, err := l.Uncompressed(ctx)
			if err != nil {
				return Sizes{}, err
			}
			n, err = io.Copy(io.Discard, rc)
			if cerr := rc.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return Sizes{}, fmt.Errorf("layer %s: %w", l.Digest(), err)
			}
		}
		s.Uncompressed += n
	}
	return s, nil
}

// WriteTable writes recipes as a markdown table: one row per recipe, and
// for recipe 2 a row for its base and one for what was added to it.
func WriteTable(w io.Writer, recipes []Recipe) error {
	var b strings.Builder
	b.WriteString("| recipe | tag | layers | compressed | uncompressed |\n|---|---|--:|--:|--:|\n")
	row := func(title, tag string, s Sizes) {
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", title, tag, s.Layers, human(s.Compressed), human(s.Uncompressed))
	}
	for _, r := range recipes {
		row(r.Title, "`"+r.Tag+"`", r.Sizes)
		if r.Base != nil {
			row("&nbsp;&nbsp;of which the base", "", *r.Base)
			row("&nbsp;&nbsp;added to the base", "", r.Sizes.Sub(*r.Base))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// human formats n bytes as "1.23 MiB (1289748 B)": rounded for reading,
// exact for comparing runs.
func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB (%d B)", float64(n)/(1<<20), n)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB (%d B)", float64(n)/(1<<10), n)
	}
	return fmt.Sprintf("%d B", n)
}
