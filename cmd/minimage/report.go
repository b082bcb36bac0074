package main

import (
	"io"
	"slices"

	"github.com/minimage/minimage/build"
)

// report prints what a build wrote (build.Summary's text): on stderr
// with a tarball on stdout.
func report(stdout, stderr io.Writer, r build.Recipe, res *build.Result) error {
	w := stdout
	if stdoutTarball(r) {
		w = stderr
	}
	return res.Summary(r).WriteText(w)
}

// stdoutTarball reports whether r writes a tarball on stdout (-o -).
func stdoutTarball(r build.Recipe) bool {
	return slices.ContainsFunc(r.Outputs, func(o build.Output) bool { return o.Writer != nil })
}
