package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/minimage/minimage/build"
)

// makeOutputParents creates the directories that hold the file and
// layout outputs, as mkdir -p would, so that -o dist/oci works where dist
// does not exist yet. The returned undo removes the directories it made,
// deepest first, when the build fails: a failed build leaves the disk as
// it found it.
func makeOutputParents(outs []build.Output) (undo func(), err error) {
	var made []string
	undo = func() {
		for _, d := range slices.Backward(made) {
			os.Remove(d) // only if empty: what the build wrote there stays named in its error
		}
	}
	for _, o := range outs {
		if o.Format == build.Registry || o.Writer != nil {
			continue
		}
		parent := filepath.Dir(filepath.Clean(o.Path))
		missing := missingDirs(parent)
		if err := os.MkdirAll(parent, 0o777); err != nil {
			undo()
			return func() {}, fmt.Errorf("output %s: create its directory: %w", o.Path, err)
		}
		made = append(made, missing...)
	}
	return undo, nil
}

// missingDirs returns dir and those of its parents that do not exist,
// outermost first.
func missingDirs(dir string) []string {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	return missing
}
