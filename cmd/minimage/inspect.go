package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/listing"
	"github.com/minimage/minimage/internal/cli"
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
	fs := cli.NewFlagSet("minimage inspect", inspectUsage, stdout, stderr)
	fs.BoolVar(&f.json, "json", false, "print JSON, for scripts: an array of images, each with its layers' files")
	fs.StringVar(&f.raw, "raw", "", "print the stored bytes of the `manifest`, config or index, as crane manifest and crane config do")
	fs.StringVar(&f.platform, "platform", "", "show only the image for `os/arch[/variant]`, such as linux/arm64")
	f.registry.register(fs, false)
	return fs
}

func runInspect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f inspectFlags
	f.registry.stdin = stdin
	pos, err := cli.Parse(newInspectFlagSet(&f, stdout, stderr), args, 1, 1, "one SRC[:TAG]")
	if err != nil {
		return err
	}
	ref := pos[0]
	p, err := parsePlatform(f.platform)
	if err != nil {
		return err
	}
	if f.raw != "" && !slices.Contains([]string{"manifest", "config", "index"}, f.raw) {
		return fmt.Errorf("%w: --raw %q: want manifest, config or index", errUsage, f.raw)
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
	if f.raw != "" {
		err := listing.WriteRaw(stdout, entries, f.raw, p)
		if errors.Is(err, listing.ErrAmbiguous) {
			return fmt.Errorf("%w: --raw: %w; add :TAG or --platform", errUsage, err)
		}
		return err
	}
	if f.json {
		return listing.WriteJSON(ctx, stdout, entries, listing.Options{Platform: p})
	}
	return listing.WriteText(ctx, stdout, entries, listing.Options{Platform: p})
}

// platformsOf names the platforms of imgs, for a message.
func platformsOf(imgs []*image.Image) string {
	ps := make([]image.Platform, len(imgs))
	for i, img := range imgs {
		ps[i] = img.Platform()
	}
	return image.PlatformList(ps)
}

// plural says "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
