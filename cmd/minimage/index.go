package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
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

func runIndex(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, indexUsage)
		return fmt.Errorf("%w: the index command has one subcommand: create", errUsage)
	}
	fs := newFlagSet("minimage index create", indexUsage, stdout, stderr)
	var rf registryFlags
	rf.register(fs)
	replace := fs.Bool("replace", false, "let a later SRC's image replace an earlier one's of the same platform (default: an error)")
	var annotations, tags listFlag
	fs.Var(&annotations, "annotation", "set the index annotation `KEY=VALUE` (repeatable)")
	tags.split = true
	for _, n := range []string{"t", "tag"} {
		fs.Var(&tags, n, "also tag it `TAG` (repeatable, or a comma-separated list)")
	}
	out := fs.String("o", "", "also write the index into the layout `DIR[:TAG]` or FILE.tar[:TAG] (default TAG: REF's tag)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(pos) < 2 {
		fs.Usage()
		return fmt.Errorf("%w: want REF and at least one SRC, got %d arguments", errUsage, len(pos))
	}
	kvs, err := keyValues("annotation", annotations.values)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	opts, err := rf.options(stderr) // one Mounts for pulls and push: mounts, not uploads
	if err != nil {
		return err
	}
	ix, err := ref.MergeIndex(ctx, pos[1:], image.MergeOptions{Replace: *replace, Annotations: kvs}, opts)
	if err != nil {
		return err
	}
	dst, err := ref.ParseTarget(pos[0], ref.Options{})
	if err == nil {
		err = dst.Write(ctx, ix, opts, tags.values...)
	}
	if err == nil && *out != "" {
		err = writeAlso(ctx, *out, dst, ix, tags.values)
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
	if o.Tag == "" {
		o.Tag = dst.Tag + dst.Reference.Tag
	}
	return o.Write(ctx, ix, remote.Options{}, tags...)
}
