package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/listing"
)

const inspectUsage = `Usage: minimage inspect [flags] SRC[:TAG]

Show what SRC holds: an OCI layout directory, a tarball, or a registry
reference (REGISTRY/REPOSITORY[:TAG|@DIGEST]). Each entry is shown under
its tags: an index with its digest, annotations and manifests; each image
with its platform, digest, config and layers; each layer's files in ls -l
style (mode, uid:gid, size, name, -> symlink target, => hard link path),
printed as they are read. Attestations and SBOMs an index lists are shown
with what they refer to. Names, labels and annotations that hold control
characters are quoted.

Flags:
`

type inspectFlags struct {
	json     bool
	raw      string
	platform string
	registry registryFlags
}

func newInspectFlagSet(f *inspectFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("minimage inspect", inspectUsage, stdout, stderr)
	fs.BoolVar(&f.json, "json", false, "print JSON, for scripts: an array of images, each with its layers' files")
	fs.StringVar(&f.raw, "raw", "", "print the stored bytes of the `manifest`, config or index, as crane manifest and crane config do")
	fs.StringVar(&f.platform, "platform", "", "show only the image for `os/arch[/variant]`, such as linux/arm64")
	f.registry.register(fs, false)
	return fs
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f inspectFlags
	pos, err := parseCommand(newInspectFlagSet(&f, stdout, stderr), args, 1, 1, "one SRC[:TAG]")
	if err != nil {
		return err
	}
	ref := pos[0]
	p, err := parsePlatform(f.platform)
	if err != nil {
		return err
	}
	src, tag, err := openSource(ctx, ref, &f.registry, stderr)
	if err != nil {
		return err
	}
	entries, err := listing.Entries(ctx, src, tag)
	if err != nil {
		return err
	}
	if p != (image.Platform{}) && f.raw == "" {
		var all []*image.Image
		for _, e := range entries {
			all = append(all, e.Artifact.Images()...)
		}
		if _, err := image.SelectImage(all, p); err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
	}
	switch f.raw {
	case "":
	case "manifest", "config", "index":
		return printRaw(ctx, stdout, src, tag, entries, f.raw, p)
	default:
		return fmt.Errorf("%w: --raw %q: want manifest, config or index", errUsage, f.raw)
	}
	if f.json {
		return listing.WriteJSON(ctx, stdout, entries, listing.Options{Platform: p})
	}
	return listing.WriteText(ctx, stdout, entries, listing.Options{Platform: p})
}

// printRaw writes the stored bytes of the index, manifest or config,
// unchanged: what crane manifest and crane config print.
func printRaw(ctx context.Context, w io.Writer, src image.Source, tag string, entries []listing.Entry, what string, p image.Platform) error {
	if len(entries) != 1 {
		return fmt.Errorf("%w: --raw shows one entry, and this holds %d; add :TAG, one of %s", errUsage, len(entries), quoteList(src.Tags()))
	}
	a := entries[0].Artifact
	if what == "index" {
		ix, ok := a.(*image.Index)
		if !ok {
			return fmt.Errorf("--raw index: the entry is %s, not an index; use --raw manifest", describeKind(a))
		}
		_, err := w.Write(ix.RawManifest())
		return err
	}
	var img *image.Image
	switch a := a.(type) {
	case *image.Image:
		img = a
	case *image.Manifest:
		if what == "manifest" {
			_, err := w.Write(a.RawManifest())
			return err
		}
		return fmt.Errorf("--raw config: the entry is an artifact (%s) with no image config; use --raw manifest", a.ArtifactType())
	case *image.Index:
		imgs := a.Images()
		if p != (image.Platform{}) {
			imgs = slices.DeleteFunc(imgs, func(img *image.Image) bool { return !p.Matches(img.Platform()) })
		}
		switch len(imgs) {
		case 0:
			return &image.PlatformError{Want: p, Have: a.Platforms(), In: "index " + a.Digest().String()}
		case 1:
			img = imgs[0]
		default:
			return fmt.Errorf("%w: --raw %s: the index holds images for %s; pick one with --platform, or use --raw index", errUsage, what, platformsOf(imgs))
		}
	}
	raw := img.RawManifest()
	if what == "config" {
		raw = img.RawConfig()
	}
	_, err := w.Write(raw)
	return err
}

// platformsOf names the platforms of imgs, for a message.
func platformsOf(imgs []*image.Image) string {
	ps := make([]image.Platform, len(imgs))
	for i, img := range imgs {
		ps[i] = img.Platform()
	}
	return image.PlatformList(ps)
}

func describeKind(a image.Artifact) string {
	switch a.(type) {
	case *image.Image:
		return "an image"
	case *image.Manifest:
		return "an artifact manifest"
	}
	return "a " + a.MediaType()
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = listing.Quote(s)
	}
	return strings.Join(q, ", ")
}

// plural says "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
