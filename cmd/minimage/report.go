package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
)

// report prints what a build wrote: the artifact's digest, each
// platform's manifest digest and size, the tags and where it went. With a
// tarball on stdout the report goes to stderr.
func report(stdout, stderr io.Writer, r build.Recipe, res *build.Result) error {
	w := stdout
	for _, o := range r.Outputs {
		if o.Writer != nil {
			w = stderr
		}
	}
	kind := "image"
	if _, ok := res.Artifact.(*image.Index); ok {
		kind = "index"
	}
	fmt.Fprintf(w, "%s %s\n", kind, res.Artifact.Descriptor().Digest)
	for _, img := range res.Images {
		var size int64
		for _, l := range img.Layers() {
			size += l.Size()
		}
		d := img.Descriptor()
		fmt.Fprintf(w, "  %-14s manifest %s  %s in %d layers\n", img.Platform(), d.Digest, human(size), len(img.Layers()))
	}
	// Tags name the artifact in layouts and tarballs; a push's tag is
	// in its reference.
	if slices.ContainsFunc(r.Outputs, func(o build.Output) bool { return o.Format != build.Registry }) {
		for _, t := range r.Tags {
			fmt.Fprintf(w, "tagged %s\n", t)
		}
	}
	for _, o := range r.Outputs {
		if o.Format == build.Registry {
			fmt.Fprintf(w, "pushed %s\n", pushedReference(o.Path, res.Artifact))
			continue
		}
		fmt.Fprintf(w, "wrote %s (%s)\n", o.Path, o.Format)
	}
	reportSBOMs(w, r, res)
	return nil
}

func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
