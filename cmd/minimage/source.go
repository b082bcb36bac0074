package main

// Opening what inspect and export read: an OCI layout directory, a
// tarball or a registry reference, read by package ref.

import (
	"context"
	"io"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
)

// parseSource reads a source name as every command reads one, and as
// build's --base does: a layout directory or tarball when the path
// exists, else a registry reference, on Docker Hub when it names no
// registry ("alpine:3.20"), as docker reads it and as pull and push read
// theirs.
func parseSource(name string) (ref.Ref, error) {
	return ref.Parse(name, ref.Options{DockerHub: true})
}

// openSource opens SRC[:TAG] (see parseSource), a registry's pulled with
// rf's options (a note per retry unless -q). It returns the source and the tag to read in it.
func openSource(ctx context.Context, name string, rf *registryFlags, stderr io.Writer) (image.Source, string, error) {
	r, err := parseSource(name)
	if err != nil {
		return nil, "", err
	}
	var opts remote.Options
	if r.Kind == ref.Registry {
		if opts, err = rf.options(stderr); err != nil {
			return nil, "", err
		}
	}
	src, err := r.Open(ctx, opts)
	return src, r.Tag, err
}
