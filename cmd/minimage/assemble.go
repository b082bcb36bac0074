package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
)

// buildResult is what a build made: one image per platform and the
// artifact to write (the image itself, or an index of them).
type buildResult struct {
	images   []*image.Image
	artifact image.Artifact
}

// build makes the images: the shared layers once, then per platform the
// binary (compiled here when TARGET is a package) on top.
func (p *buildPlan) build(ctx context.Context, prog *progress) (*buildResult, error) {
	shared, err := p.sharedLayers(ctx, prog)
	if err != nil {
		return nil, err
	}
	var baseLayout image.Source
	if p.base != "" {
		if baseLayout, err = openLayout(p.base); err != nil {
			return nil, fmt.Errorf("--base: %w", err)
		}
	}
	tmp, err := os.MkdirTemp("", "minimage-build-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	if p.flags.bare {
		prog.note("--bare: the image holds the binary alone and runs as %s; it has no /etc/passwd, no CA certificates and no time zones", p.user)
	}
	res := &buildResult{}
	for _, pl := range p.platforms {
		img := image.New(pl)
		if baseLayout != nil {
			b, err := baseLayout.Image(ctx, p.baseTag, pl)
			if err != nil {
				return nil, fmt.Errorf("--base %s: %w", p.flags.baseRef, err)
			}
			img = image.FromBase(b, p.baseTag)
		}
		for _, s := range shared {
			if slices.ContainsFunc(img.Layers(), func(l *layer.Layer) bool { return l.Digest() == s.layer.Digest() }) {
				continue // the base already has it, such as the CA bundle
			}
			img = img.AppendLayer(s.layer, image.History{CreatedBy: s.createdBy})
		}
		bin := p.target
		if !p.binary {
			prog.step("go build %s for %s", p.target, pl)
			if bin, err = goBuild(ctx, p.target, tmp, pl.OS, pl.Architecture, pl.Variant); err != nil {
				return nil, err
			}
		}
		prog.step("adding the binary for %s", pl)
		lo := p.layerOpts
		lo.Progress = prog.layer("binary " + pl.String())
		dest := "/" + binaryName(p.target)
		img, err = img.AddBinary(ctx, dest, bin, image.BinaryOptions{AllowDynamic: p.flags.allowDynamic, Layer: lo})
		if err != nil {
			return nil, err
		}
		img, err = p.configure(ctx, img)
		if err != nil {
			return nil, err
		}
		res.images = append(res.images, img)
	}
	if len(res.images) == 1 {
		res.artifact = res.images[0]
		return res, nil
	}
	ix, err := image.NewIndex(res.images...)
	if err != nil {
		return nil, err
	}
	for k, v := range p.annotations {
		ix = ix.WithAnnotation(k, v)
	}
	res.artifact = ix
	return res, nil
}

type sharedLayer struct {
	layer     *layer.Layer
	createdBy string
}

// sharedLayers builds the layers every platform shares: the base files,
// the CA bundle, the zones and --file files, each built once.
func (p *buildPlan) sharedLayers(ctx context.Context, prog *progress) ([]sharedLayer, error) {
	f := p.flags
	var out []sharedLayer
	add := func(what string, build func() (*layer.Layer, error)) error {
		prog.step("building the %s layer", what)
		l, err := build()
		if err != nil {
			return err
		}
		out = append(out, sharedLayer{l, "minimage: " + what})
		return nil
	}
	if !f.bare && p.base == "" {
		if err := add("base files", func() (*layer.Layer, error) {
			return base.Layer(ctx, base.Options{Layer: p.layerOpts})
		}); err != nil {
			return nil, err
		}
	}
	if !f.bare && !f.noCerts {
		if err := add("CA certificates", func() (*layer.Layer, error) {
			return certs.Layer(ctx, certs.Options{Layer: p.layerOpts})
		}); err != nil {
			return nil, err
		}
	}
	if zones := f.zones.values; len(zones) > 0 || f.localtime != "" {
		if err := add("time zones", func() (*layer.Layer, error) {
			return tzdata.Layer(ctx, tzdata.Options{Zones: zones, Localtime: f.localtime, Zip: f.zoneZip, Layer: p.layerOpts})
		}); err != nil {
			return nil, err
		}
	}
	if len(f.files.values) > 0 {
		if err := add("files", func() (*layer.Layer, error) {
			b := layer.New(p.layerOpts)
			for _, file := range f.files.values {
				src, dst, _ := strings.Cut(file, ":")
				if err := b.AddHostFile(dst, src, layer.Attr{}); err != nil {
					return nil, fmt.Errorf("--file %s: %w", file, err)
				}
			}
			return b.Build(ctx)
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// configure applies the runtime config and annotations of the flags.
func (p *buildPlan) configure(ctx context.Context, img *image.Image) (*image.Image, error) {
	f := p.flags
	img = img.WithUser(p.user)
	if !p.created.IsZero() {
		img = img.WithCreated(p.created)
	}
	if f.zoneZip && (len(f.zones.values) > 0 || f.localtime != "") {
		for _, kv := range tzdata.Env(tzdata.Options{Zip: true}) {
			k, v, _ := strings.Cut(kv, "=")
			img = img.WithEnv(k, v)
		}
	}
	for k, v := range p.env {
		img = img.WithEnv(k, v)
	}
	for k, v := range p.labels {
		img = img.WithLabel(k, v)
	}
	for k, v := range p.annotations {
		img = img.WithAnnotation(k, v)
	}
	if f.workdir != "" {
		img = img.WithWorkingDir(path.Clean("/" + f.workdir))
	}
	for _, port := range f.ports.values {
		img = img.WithExposedPort(port)
	}
	return img, nil
}

// openLayout opens a layout directory or a tarball.
func openLayout(p string) (image.Source, error) {
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return layout.Read(p)
	}
	return tarball.Read(p)
}

// write puts the result where --output says; a failed write leaves what
// was there before.
func (p *buildPlan) write(ctx context.Context, res *buildResult, stdout io.Writer) error {
	switch {
	case p.output == "-":
		return tarball.Write(ctx, stdout, res.artifact, tarball.Options{Tags: p.tags})
	case strings.HasSuffix(p.output, ".tar"):
		return tarball.WriteFile(ctx, p.output, res.artifact, tarball.Options{Tags: p.tags})
	default:
		return layout.Write(ctx, p.output, res.artifact, layout.Options{Tags: p.tags})
	}
}
