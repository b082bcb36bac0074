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

// openSource opens SRC[:TAG]: a layout directory or tarball on disk, else
// a registry reference that names its registry, pulled with rf's options
// (quietly). It returns the source and the tag to read in it.
func openSource(ctx context.Context, name string, rf *registryFlags, stderr io.Writer) (image.Source, string, error) {
	r, err := ref.Parse(name, ref.Options{})
	if err != nil {
		return nil, "", err
	}
	var opts remote.Options
	if r.Kind == ref.Registry {
		rf.quiet = true
		if opts, err = rf.options(stderr); err != nil {
			return nil, "", err
		}
	}
	src, err := r.Open(ctx, opts)
	return src, r.Tag, err
}
