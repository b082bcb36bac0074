package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// writeVersion writes what minimage was built from, as go version -m
// reads it from the binary: the main module's version ("(devel)" for a
// build in a checkout, a pseudo-version from Go 1.24 when the checkout's
// VCS information was stamped), the Go release, and the VCS revision,
// time and modified flag when the build recorded them.
func writeVersion(w io.Writer, bi *debug.BuildInfo) {
	if bi == nil {
		fmt.Fprintln(w, "minimage (unknown: built without module information)")
		return
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(w, "minimage %s %s\n", v, bi.GoVersion)
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs", "vcs.revision", "vcs.time", "vcs.modified":
			fmt.Fprintf(w, "\t%s=%s\n", s.Key, s.Value)
		}
	}
}

// buildInfo returns the running binary's build information, nil if it
// has none.
func buildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}
