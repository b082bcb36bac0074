package main

import (
	"fmt"
	"io"

	"github.com/minimage/minimage/build"
)

// report prints what a build wrote (build.Result.WriteSummary) and its
// SBOMs. With a tarball on stdout the report goes to stderr.
func report(stdout, stderr io.Writer, r build.Recipe, res *build.Result) error {
	w := stdout
	for _, o := range r.Outputs {
		if o.Writer != nil {
			w = stderr
		}
	}
	res.WriteSummary(w, r)
	reportSBOMs(w, r, res)
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
