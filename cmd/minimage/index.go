package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/cli"
)

const indexUsage = `Usage: minimage index create [flags] REF SRC...

Make one index of the images SRC... name (each an image or an index, in a
registry, a layout DIR[:TAG] or a tarball FILE.tar[:TAG]) and write it to
REF: a registry reference, a layout DIR[:TAG] or a FILE.tar[:TAG]. Print
REF@sha256:… on stdout. The images keep their digests, so their
signatures and SBOMs stay valid; in their own registry only the index is
sent, and an image from another repository of it is mounted.

Flags:
`

// indexFlags are the flags of "minimage index create".
type indexFlags struct {
	reg               registryFlags
	replace           bool
	annotations, tags cli.List
	out               string
}

func newIndexFlagSet(f *indexFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage index create", indexUsage, stdout, stderr)
	f.reg.register(fs, true)
	fs.BoolVar(&f.replace, "replace", false, "let a later SRC's image replace an earlier one's of the same platform (default: an error)")
	fs.Var(&f.annotations, "annotation", "set the index annotation `KEY=VALUE` (repeatable)")
	f.tags.Split = true
	for _, n := range []string{"t", "tag"} {
		fs.Var(&f.tags, n, "also tag it `TAG` (repeatable, or a comma-separated list)")
	}
	for _, n := range []string{"o", "output"} {
		fs.StringVar(&f.out, n, "", "also write the index into the layout `DIR[:TAG]` or FILE.tar[:TAG] (default TAG: REF's tag)")
	}
	return fs
}

func runIndex(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f indexFlags
	f.reg.stdin = stdin
	fs := newIndexFlagSet(&f, stdout, stderr)
	if len(args) == 0 || args[0] != "create" {
		if _, err := cli.Parse(fs, args, 0, -1, ""); err != nil {
			return err // -h, or a bad flag
		}
		return fmt.Errorf("%w: the index command has one subcommand: create", errUsage)
	}
	pos, err := cli.Parse(fs, args[1:], 2, -1, "REF and at least one SRC")
	if err != nil {
		return err
	}
	dst, err := ref.ParseTarget(pos[0], ref.Options{})
	if err == nil && dst.Kind != ref.Registry {
		_, err = parseOutput(dst.Path) // the rule every -o follows
	}
	if err != nil {
		return err
	}
	kvs, err := cli.KeyValues("annotation", f.annotations.Values)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	opts, err := f.reg.options(stderr) // one Mounts for pulls and push: mounts, not uploads
	if err != nil {
		return err
	}
	ix, err := ref.MergeIndex(ctx, pos[1:], image.MergeOptions{Replace: f.replace, Annotations: kvs}, opts)
	if err != nil {
		return err
	}
	err = dst.Write(ctx, ix, opts, f.tags.Values...)
	if err == nil && f.out != "" {
		err = writeAlso(ctx, f.out, dst, ix, f.tags.Values)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s@%s\n", strings.SplitN(pos[0], "@", 2)[0], ix.Digest())
	return err
}

// writeAlso writes ix into the layout out, tagged as out says or else
// with dst's tag, and tags.
func writeAlso(ctx context.Context, out string, dst ref.Ref, ix *image.Index, tags []string) error {
	o, err := ref.ParseTarget(out, ref.Options{Local: true})
	if err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	if _, err := parseOutput(o.Path); err != nil {
		return err
	}
	if o.Tag == "" {
		o.Tag = dst.Tag + dst.Reference.Tag
	}
	return o.Write(ctx, ix, remote.Options{}, tags...)
}
