package main

import (
	"fmt"
	"io"

	"github.com/minimage/minimage/image"
)

// report prints what a build wrote: the artifact's digest, each
// platform's manifest digest and size, and where. With a tarball on
// stdout the report goes to stderr.
func report(stdout, stderr io.Writer, p *buildPlan, res *buildResult) error {
	w := stdout
	if p.output == "-" {
		w = stderr
	}
	where := p.output
	switch {
	case p.output == "-":
		where = "stdout (tarball)"
	case len(where) > 4 && where[len(where)-4:] == ".tar":
		where += " (tarball)"
	default:
		where += " (OCI layout)"
	}
	kind := "image"
	if _, ok := res.artifact.(*image.Index); ok {
		kind = "index"
	}
	fmt.Fprintf(w, "%s %s\n", kind, res.artifact.Descriptor().Digest)
	for _, img := range res.images {
		var size int64
		for _, l := range img.Layers() {
			size += l.Size()
		}
		d := img.Descriptor()
		fmt.Fprintf(w, "  %-14s manifest %s  %s in %d layers\n", img.Platform(), d.Digest, human(size), len(img.Layers()))
	}
	for _, t := range p.tags {
		fmt.Fprintf(w, "tagged %s\n", t)
	}
	fmt.Fprintf(w, "wrote %s\n", where)
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
