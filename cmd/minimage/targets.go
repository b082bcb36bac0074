package main

// Several images in one build: TARGETs that are several Go packages, or
// a pattern such as ./cmd/..., make one image per main package, built by
// build.RunAll.

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/minimage/minimage/build"
)

// severalImages reports whether the TARGETs make one image per package:
// several packages, or a pattern. Built binaries make one image, of one
// name, whatever their number.
func severalImages(targets []string) (bool, error) {
	var pkgs, bins []string
	for _, t := range targets {
		_, ok, err := build.ParseBinary(t)
		if err != nil {
			return false, err
		}
		if ok {
			bins = append(bins, t)
		} else {
			pkgs = append(pkgs, t)
		}
	}
	if len(pkgs) > 0 && len(bins) > 0 {
		return false, fmt.Errorf("TARGET %s is a Go package and %s a built binary; several TARGETs must all be binaries (PATH or PLATFORM=PATH), or all Go packages", pkgs[0], bins[0])
	}
	return len(pkgs) > 1 || slices.ContainsFunc(pkgs, func(t string) bool { return strings.Contains(t, "...") }), nil
}

// mainPackages lists the packages the TARGETs name with one go list
// call and returns the main ones, each as build.Recipe.Package takes it:
// ./DIR for a package under the current directory, else its import path.
// A pattern skips the packages that are not main, as go build does; one
// named on its own is an error.
func mainPackages(ctx context.Context, targets, buildTags []string) ([]string, error) {
	args := []string{"list", "-f", "{{.ImportPath}}\t{{.Name}}\t{{.Dir}}"}
	if len(buildTags) > 0 {
		args = append(args, "-tags", strings.Join(buildTags, ","))
	}
	cmd := exec.CommandContext(ctx, "go", append(append(args, "--"), targets...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %s", strings.Join(targets, " "), strings.TrimSpace(cmp.Or(stderr.String(), err.Error())))
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var pkgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue // a pattern that matched nothing: go list warned
		}
		path, name, dir := f[0], f[1], f[2]
		if name != "main" {
			if t := namedAlone(targets, path, dir, wd); t != "" {
				return nil, fmt.Errorf("package %s: %w: go build makes no program of it; name main packages, or a pattern such as ./cmd/...", t, build.ErrNotMain)
			}
			continue
		}
		pkg := path
		if rel, err := filepath.Rel(wd, dir); err == nil && filepath.IsLocal(rel) {
			pkg = "./" + filepath.ToSlash(rel)
		}
		pkgs = append(pkgs, pkg)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("%s: %w: no main package matched; name main packages, or a pattern such as ./cmd/...", strings.Join(targets, " "), build.ErrNotMain)
	}
	return pkgs, nil
}

// namedAlone returns the TARGET that names the package of import path
// path in dir on its own, not by a pattern; "" if none does.
func namedAlone(targets []string, path, dir, wd string) string {
	for _, t := range targets {
		if strings.Contains(t, "...") {
			continue
		}
		full := t
		if !filepath.IsAbs(full) {
			full = filepath.Join(wd, t)
		}
		if t == path || filepath.Clean(full) == filepath.Clean(dir) {
			return t
		}
	}
	return ""
}

// recipes maps the flags to one recipe per package: each image named
// after its program, tagged NAME:TAG for each --tags, and pushed to
// PREFIX/NAME:TAG for each --push PREFIX and each tag.
func (f *buildFlags) recipes(pkgs []string, stdout io.Writer) ([]build.Recipe, error) {
	switch {
	case len(f.tags.Values) > 0:
		return nil, fmt.Errorf("%w: -t names one image, and these TARGETs make %d; use --tags to tag each NAME:TAG", errUsage, len(pkgs))
	case f.name != "" || f.path != "":
		return nil, fmt.Errorf("%w: --name and --path name one image, and these TARGETs make %d, each named after its program", errUsage, len(pkgs))
	}
	for _, p := range f.publish.push.Values {
		if pushNamesTag(p) {
			return nil, fmt.Errorf("%w: --push %s names a tag, and these TARGETs make %d images; give REGISTRY/PREFIX, which each image is pushed under as PREFIX/NAME:TAG for each --tags", errUsage, p, len(pkgs))
		}
	}
	var recs []build.Recipe
	names := map[string]string{}
	for _, pkg := range pkgs {
		r, err := f.recipe([]string{pkg}, stdout)
		if err != nil {
			return nil, err
		}
		name := r.Name()
		if other, ok := names[name]; ok {
			return nil, fmt.Errorf("%w: packages %s and %s both make a program named %s, and an image is named after its program; build them one at a time, with --name", errUsage, other, pkg, name)
		}
		names[name] = pkg
		r.Tags = nil
		r.Outputs = slices.DeleteFunc(r.Outputs, func(o build.Output) bool { return o.Format == build.Registry })
		for _, tag := range f.imageTags() {
			r.Tags = append(r.Tags, name+":"+tag)
			for _, p := range f.publish.push.Values {
				ref := strings.TrimRight(p, "/") + "/" + name + ":" + tag
				r.Outputs = append(r.Outputs, build.Output{Format: build.Registry, Path: ref, Remote: f.publish.pushOpts})
			}
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// imageTags is --tags, or latest.
func (f *buildFlags) imageTags() []string {
	if len(f.imageTagList.Values) == 0 {
		return []string{"latest"}
	}
	return f.imageTagList.Values
}

// pushNamesTag reports whether a --push reference names a tag or a
// digest: a ':' or '@' after its last '/'.
func pushNamesTag(ref string) bool {
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	return strings.ContainsAny(last, ":@")
}

// runBuildAll builds the recipes with build.RunAll and prints what each
// made: its report, or with --json an array of one object per image, and
// with --image-refs every pushed reference.
func (f *buildFlags) runBuildAll(ctx context.Context, recs []build.Recipe, stdout, stderr io.Writer) error {
	var outs []build.Output
	for _, r := range recs {
		outs = append(outs, r.Outputs...)
	}
	undo, err := makeOutputParents(outs)
	if err != nil {
		return err
	}
	prog := build.NewProgressPrinter(stderr, "minimage: ", f.quiet)
	for i := range recs {
		recs[i].Progress = prog.Event
	}
	res, err := build.RunAll(ctx, recs)
	prog.Done()
	if err != nil {
		undo()
		return cliError{err}
	}
	sums := make([]build.Summary, len(recs))
	for i, r := range recs {
		sums[i] = res[i].Summary(r)
		sums[i].Name = r.Name()
	}
	if err := f.publish.writeImageRefs(stdout, sums); err != nil || f.publish.imageRefs == "-" {
		return err
	}
	if f.publish.json {
		return writeSummaries(stdout, sums)
	}
	if f.quiet && stdoutTarball(recs[0]) {
		return nil
	}
	w := stdout
	if stdoutTarball(recs[0]) {
		w = stderr
	}
	var errs []error
	for _, s := range sums {
		errs = append(errs, s.WriteText(w))
	}
	return errors.Join(errs...)
}
