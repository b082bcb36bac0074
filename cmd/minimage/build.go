package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/layer"
)

// buildFlags are the flags of "minimage build".
type buildFlags struct {
	created, user, baseRef, workdir, compression, localtime, ldflags string
	binCache, path, name                                             string
	level                                                            int
	noCerts, quiet, bare, allowDynamic, zoneZip                      bool
	outputs, tags, platforms, zones, env, labels, annotations        cli.List
	imageTagList                                                     cli.List
	ports, files, buildTags                                          cli.List
	sbom                                                             sbomFlags
	publish                                                          publishFlags
}

func newBuildFlagSet(f *buildFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage build", buildUsage, stdout, stderr)
	f.platforms.Split, f.zones.Split, f.buildTags.Split, f.imageTagList.Split = true, true, true, true
	str := func(p *string, names []string, def, help string) {
		for _, n := range names {
			fs.StringVar(p, n, def, help)
		}
	}
	for _, n := range []string{"o", "output"} {
		fs.Var(&f.outputs, n, "write to `PATH`: a directory (OCI layout, created or added to), a file ending in .tar, or - for a tarball on stdout (repeatable: one build, several outputs)")
	}
	for _, n := range []string{"t", "tag"} {
		fs.Var(&f.tags, n, "tag the image `REF`, a name with or without a tag or registry (repeatable; default NAME:TAG for each --tags); one image only")
	}
	fs.Var(&f.imageTagList, "tags", "comma-separated `LIST` of tags: each image is tagged NAME:TAG, NAME its program's, and pushed to each --push as PREFIX/NAME:TAG with several images (default latest)")
	fs.Var(&f.platforms, "platform", "comma-separated `LIST` of platforms such as linux/amd64,linux/arm64,linux/arm/v7 (default linux/"+runtime.GOARCH+"); several give an index")
	fs.Var(&f.zones, "zones", "`ZONES` to include: comma-separated zone names and globs such as Europe/*, or all (default none)")
	str(&f.localtime, []string{"localtime"}, "", "make /etc/localtime point at `ZONE` (added to --zones)")
	fs.BoolVar(&f.zoneZip, "zoneinfo-zip", false, "ship the zones as one zip with ZONEINFO set, for Go-only images, instead of /usr/share/zoneinfo")
	fs.BoolVar(&f.noCerts, "no-certs", false, "leave out the Mozilla CA bundle")
	str(&f.user, []string{"user"}, "nonroot", "run as `USER[:GROUP]`: nonroot (65532), nobody, root or another name the image's /etc/passwd holds (the base's with --base), or numeric UID[:GID]")
	str(&f.baseRef, []string{"base"}, "", "build on the image at `PATH[:TAG]`, an OCI layout directory or tarball, or REGISTRY/REPO:TAG when no such path exists, instead of minimage's base files")
	fs.BoolVar(&f.bare, "bare", false, "the binary alone, like FROM scratch: no base files, no certificates, no zones")
	fs.Var(&f.env, "env", "set `K=V` in the environment (repeatable)")
	fs.Var(&f.labels, "label", "set the config label `K=V` (repeatable)")
	fs.Var(&f.annotations, "annotation", "set the manifest annotation `K=V` (repeatable)")
	str(&f.workdir, []string{"workdir"}, "", "working `DIR` of the entrypoint (default /home/nonroot for nonroot on minimage's base files, else the base's)")
	fs.Var(&f.ports, "port", "expose `PORT[/PROTO]`, PROTO tcp, udp or sctp (repeatable)")
	fs.Var(&f.files, "file", "add the host file or directory tree `SRC:DST` (repeatable)")
	str(&f.path, []string{"path"}, "", "put the binary at `PATH` in the image, also the entrypoint (default /NAME)")
	str(&f.name, []string{"name"}, "", "name the image `NAME` (default the binary's name), for the default --path and tag")
	str(&f.compression, []string{"compression"}, "gzip", "layer compression `NAME`: gzip, zstd or none")
	fs.IntVar(&f.level, "level", 0, "compression `N` (gzip 1-9, zstd 1-4; default gzip 2, zstd 2)")
	str(&f.created, []string{"created"}, "", "creation `TIME`, RFC 3339 or Unix seconds (default $SOURCE_DATE_EPOCH, else the Unix epoch)")
	fs.BoolVar(&f.allowDynamic, "allow-dynamic", false, "accept a dynamically linked binary (the base must hold its C library)")
	str(&f.ldflags, []string{"ldflags"}, "", "go build -ldflags `FLAGS`, such as \"-s -w -X main.version=v1\"")
	fs.Var(&f.buildTags, "build-tags", "comma-separated go build -tags `LIST`")
	str(&f.binCache, []string{"bin-cache"}, defaultBinCache(), "keep go build's binaries in `DIR` between runs, so an unchanged program is not linked again; empty: do not keep them")
	f.publish.register(fs)
	for _, n := range []string{"q", "quiet"} {
		fs.BoolVar(&f.quiet, n, false, "print nothing on stderr but errors")
	}
	f.sbom.register(fs)
	return fs
}

const buildUsage = `Usage: minimage build [flags] TARGET...

TARGET is a Go package (./cmd/server, an import path), built with CGO_ENABLED=0
and -trimpath for each platform, or the path of an already-built binary, as
PATH (its platform read from the binary) or PLATFORM=PATH. Binaries of one
name for several platforms make one image with a manifest per platform.
GOFLAGS and the rest of the environment pass through to go build.

Several packages, or a pattern (./cmd/...), make one image per main package
(a pattern skips the others, as go build does), each named after its program
(./cmd/api gives api) and tagged NAME:TAG for each --tags. go build runs once
per platform for all of them, and the layers they share are built once. -o
DIR and -o FILE.tar hold every image; --push REGISTRY/PREFIX pushes each to
PREFIX/NAME:TAG; -t, --name, --path and a --push with a tag name one image
and are refused.

Flags (one dash or two; they may come after TARGET):
`

func runBuild(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f buildFlags
	f.publish.reg.stdin = stdin
	fs := newBuildFlagSet(&f, stdout, stderr)
	targets, err := cli.Parse(fs, args, 1, -1, "TARGET...")
	if err != nil {
		return err
	}
	if err := f.publish.prepare(stderr, f.quiet, slices.Contains(f.outputs.Values, "-")); err != nil {
		return err
	}
	several, err := severalImages(targets)
	if err != nil {
		return err
	}
	if several {
		if err := f.needOutput(); err != nil {
			return err
		}
		pkgs, err := mainPackages(ctx, targets, f.buildTags.Values)
		if err != nil {
			return err
		}
		recs, err := f.recipes(pkgs, stdout)
		if err != nil {
			return cliError{err}
		}
		return f.runBuildAll(ctx, recs, stdout, stderr)
	}
	rec, err := f.recipe(targets, stdout)
	if err != nil {
		return cliError{err}
	}
	undo, err := makeOutputParents(rec.Outputs)
	if err != nil {
		return err
	}
	prog := build.NewProgressPrinter(stderr, "minimage: ", f.quiet)
	rec.Progress = prog.Event
	res, err := build.Run(ctx, rec)
	prog.Done()
	if err != nil {
		undo()
		return cliError{err}
	}
	if done, err := f.publish.published(stdout, rec, res); done || err != nil {
		return err
	}
	if f.quiet && stdoutTarball(rec) {
		return nil // the report would go to stderr
	}
	return report(stdout, stderr, rec, res)
}

// cliError drops the "build: " (or, for a flag image or layer parses, "image: " or "layer: ")
// the packages put before their errors, as the command line says
// "minimage build: " already.
type cliError struct{ err error }

func (e cliError) Error() string {
	s := strings.TrimPrefix(e.err.Error(), "build: ")
	s = strings.TrimPrefix(s, "layer: ")
	return strings.TrimPrefix(s, "image: ")
}
func (e cliError) Unwrap() error { return e.err }

// flagError names the flag whose value the build package refused.
func flagError(flag string, err error) error {
	return fmt.Errorf("%s: %w", flag, cliError{err})
}

// recipe maps the flags to a build recipe. The recipe's own checks run in
// build.Run, before any work.
func (f *buildFlags) recipe(targets []string, stdout io.Writer) (build.Recipe, error) {
	var r build.Recipe
	if err := f.needOutput(); err != nil {
		return r, err
	}
	if err := f.setOutputs(&r, stdout); err != nil {
		return r, err
	}
	if err := setTargets(&r, targets); err != nil {
		return r, err
	}
	r.Path = f.path
	if r.Path == "" && f.name != "" {
		r.Path = "/" + f.name
	}
	for _, s := range f.platforms.Values {
		pl, err := parsePlatform(s)
		if err != nil {
			return r, err
		}
		r.Platforms = append(r.Platforms, pl)
	}
	r.GoBuild = build.GoBuild{Ldflags: f.ldflags, Tags: f.buildTags.Values, Cache: f.binCache}
	for _, set := range []func(*build.Recipe) error{f.setLayers, f.setContents, f.setConfig, f.setTags, f.publish.apply, f.sbom.apply} {
		if err := set(&r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// setOutputs sets the recipe's outputs: -o, in order ("-" for stdout),
// then --push.
func (f *buildFlags) setOutputs(r *build.Recipe, stdout io.Writer) error {
	for _, o := range f.outputs.Values {
		if o == "-" {
			if stdoutTarball(*r) {
				return fmt.Errorf("%w: -o - is given twice", errUsage)
			}
			if err := notTerminal(stdout); err != nil {
				return err
			}
			r.Outputs = append(r.Outputs, build.Output{Format: build.Tarball, Path: "stdout", Writer: stdout})
			continue
		}
		out, err := parseOutput(o)
		if err != nil {
			return err
		}
		r.Outputs = append(r.Outputs, out)
	}
	r.Outputs = append(r.Outputs, f.publish.outputs()...)
	return nil
}

// setLayers sets how layers are made: --created (or SOURCE_DATE_EPOCH),
// --compression and --level.
func (f *buildFlags) setLayers(r *build.Recipe) error {
	var err error
	switch {
	case f.created != "":
		if r.Created, err = layer.ParseTime(f.created); err != nil {
			return fmt.Errorf("--created: %w", cliError{err})
		}
	default:
		t, ok, err := layer.SourceDateEpoch()
		if err != nil {
			return err
		}
		if ok {
			r.Created = t
		}
	}
	if r.Layer.Compression, err = layer.ParseCompression(f.compression); err != nil {
		return fmt.Errorf("--compression: %w", err)
	}
	r.Layer.Level = f.level
	return nil
}

// setConfig sets the image config's flags: --env, --label,
// --annotation, --user, --workdir and --port.
func (f *buildFlags) setConfig(r *build.Recipe) error {
	var err error
	if r.Env, err = cli.KeyValueList("env", f.env.Values); err != nil {
		return err
	}
	if r.Labels, err = cli.KeyValues("label", f.labels.Values); err != nil {
		return err
	}
	if r.Annotations, err = cli.KeyValues("annotation", f.annotations.Values); err != nil {
		return err
	}
	r.User, r.WorkingDir = f.user, f.workdir
	for _, s := range f.ports.Values {
		port, err := build.ParsePort(s)
		if err != nil {
			return flagError("--port", err)
		}
		r.Ports = append(r.Ports, port)
	}
	return nil
}

// setContents sets what goes into the image beside the binary: --file,
// --base or --bare, --no-certs, the zones and --allow-dynamic.
func (f *buildFlags) setContents(r *build.Recipe) error {
	for _, file := range f.files.Values {
		src, dst, ok := strings.Cut(file, ":")
		if !ok || src == "" || dst == "" {
			return fmt.Errorf("--file %q: want SRC:DST, such as config.yaml:/etc/app/config.yaml", file)
		}
		r.Files = append(r.Files, build.File{Source: src, Path: dst})
	}
	if f.bare && (f.baseRef != "" || len(f.zones.Values) > 0 || f.localtime != "") {
		return fmt.Errorf("%w: --bare is the binary alone; it cannot take --base, --zones or --localtime", errUsage)
	}
	if f.allowDynamic && f.baseRef == "" {
		return fmt.Errorf("%w: --allow-dynamic needs --base: minimage's own base files hold no C library, so a dynamically linked binary would not start; give --base an image that holds its C library, or build with CGO_ENABLED=0", errUsage)
	}
	if f.baseRef != "" {
		var err error
		if r.Base, err = f.publish.base(f.baseRef); err != nil {
			return err
		}
	}
	r.Bare, r.NoCerts, r.AllowDynamic = f.bare, f.noCerts, f.allowDynamic
	r.Zones, r.Localtime, r.ZoneinfoZip = f.zones.Values, f.localtime, f.zoneZip
	return nil
}

// needOutput refuses a build without -o or --push.
func (f *buildFlags) needOutput() error {
	if len(f.outputs.Values) == 0 && len(f.publish.push.Values) == 0 {
		return fmt.Errorf("%w: no output; add -o DIR (an OCI layout), -o FILE.tar, -o - (a tarball on stdout) or --push REGISTRY/REPO:TAG", errUsage)
	}
	return nil
}

// setTags sets the tags of one image: -t, else the --push references,
// else NAME:TAG for each --tags. With --tags given, a --push without a
// tag pushes each of them.
func (f *buildFlags) setTags(r *build.Recipe) error {
	if len(f.tags.Values) > 0 && len(f.imageTagList.Values) > 0 {
		return fmt.Errorf("%w: -t names the image in full and --tags gives tags of its name: give one of them", errUsage)
	}
	name := cmp.Or(f.name, r.Name())
	if len(f.imageTagList.Values) > 0 {
		var outs []build.Output
		for _, o := range r.Outputs {
			if o.Format != build.Registry || pushNamesTag(o.Path) {
				outs = append(outs, o)
				continue
			}
			for _, tag := range f.imageTagList.Values {
				o.Path = strings.TrimRight(o.Path, "/") + ":" + tag
				outs = append(outs, o)
				o.Path = strings.TrimSuffix(o.Path, ":"+tag)
			}
		}
		r.Outputs = outs
	}
	r.Tags = f.tags.Values
	if len(r.Tags) == 0 && len(f.imageTagList.Values) == 0 {
		r.Tags = f.publish.pushTags()
	}
	if len(r.Tags) == 0 {
		for _, tag := range f.imageTags() {
			r.Tags = append(r.Tags, name+":"+tag)
		}
	}
	return nil
}

// setTargets sets r's Package or Binaries from the TARGETs: one Go
// package, or built binaries (several packages are recipes, one each).
func setTargets(r *build.Recipe, targets []string) error {
	for _, t := range targets {
		b, ok, err := build.ParseBinary(t)
		switch {
		case err != nil:
			return err
		case ok:
			r.Binaries = append(r.Binaries, b)
		case len(targets) > 1:
			return fmt.Errorf("TARGET %s is no built binary; several TARGETs must all be binaries (PATH or PLATFORM=PATH), or all Go packages", t)
		default:
			r.Package = t
		}
	}
	return nil
}

// defaultBinCache is minimage/bin in the user's cache directory, beside
// Go's own build cache; "" where there is none.
func defaultBinCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "minimage", "bin")
}
