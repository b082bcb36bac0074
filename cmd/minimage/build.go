package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// buildFlags are the flags of "minimage build".
type buildFlags struct {
	output, created, user, baseRef, workdir, compression, localtime string
	level                                                           int
	noCerts, quiet, bare, allowDynamic, zoneZip                     bool
	tags, platforms, zones, env, labels, annotations, ports, files  listFlag
}

func newBuildFlagSet(f *buildFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("minimage build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.platforms.split, f.zones.split = true, true
	str := func(p *string, names []string, def, help string) {
		for _, n := range names {
			fs.StringVar(p, n, def, help)
		}
	}
	str(&f.output, []string{"o", "output"}, "", "write to `PATH`: a directory (OCI layout, created or added to), a file ending in .tar, or - for a tarball on stdout")
	for _, n := range []string{"t", "tag"} {
		fs.Var(&f.tags, n, "tag the image `REF` (repeatable; default NAME:latest from the binary's name)")
	}
	fs.Var(&f.platforms, "platform", "comma-separated `LIST` of platforms such as linux/amd64,linux/arm64 (default linux/"+runtime.GOARCH+"); several give an index")
	fs.Var(&f.zones, "zones", "`ZONES` to include: comma-separated zone names and globs such as Europe/*, or all (default none)")
	str(&f.localtime, []string{"localtime"}, "", "make /etc/localtime point at `ZONE` (added to --zones)")
	fs.BoolVar(&f.zoneZip, "zoneinfo-zip", false, "ship the zones as one zip with ZONEINFO set, for Go-only images, instead of /usr/share/zoneinfo")
	fs.BoolVar(&f.noCerts, "no-certs", false, "leave out the Mozilla CA bundle")
	str(&f.user, []string{"user"}, "nonroot", "run as `USER`: nonroot (65532), root, or UID[:GID]")
	str(&f.baseRef, []string{"base"}, "", "build on the image at `PATH[:TAG]`, an OCI layout directory or tarball, instead of minimage's base files")
	fs.BoolVar(&f.bare, "bare", false, "the binary alone, like FROM scratch: no base files, no certificates, no zones")
	fs.Var(&f.env, "env", "set `K=V` in the environment (repeatable)")
	fs.Var(&f.labels, "label", "set the config label `K=V` (repeatable)")
	fs.Var(&f.annotations, "annotation", "set the manifest annotation `K=V` (repeatable)")
	str(&f.workdir, []string{"workdir"}, "", "working `DIR` of the entrypoint")
	fs.Var(&f.ports, "port", "expose `PORT[/PROTO]` (repeatable)")
	fs.Var(&f.files, "file", "add the host file `SRC:DST` (repeatable)")
	str(&f.compression, []string{"compression"}, "gzip", "layer compression: gzip, zstd or none")
	fs.IntVar(&f.level, "level", 0, "compression `N` (gzip 1-9, zstd 1-4; default gzip 2, zstd 2)")
	str(&f.created, []string{"created"}, "", "creation `TIME`, RFC 3339 or Unix seconds (default $SOURCE_DATE_EPOCH, else the Unix epoch)")
	fs.BoolVar(&f.allowDynamic, "allow-dynamic", false, "accept a dynamically linked binary (the base must hold its C library)")
	for _, n := range []string{"q", "quiet"} {
		fs.BoolVar(&f.quiet, n, false, "print nothing but errors and the result")
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: minimage build [flags] TARGET\n\nTARGET is a Go package (./cmd/server, an import path), built with CGO_ENABLED=0\nand -trimpath for each platform, or the path of an already-built binary.\n\nFlags (one dash or two):\n")
		fs.PrintDefaults()
	}
	return fs
}

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f buildFlags
	fs := newBuildFlagSet(&f, stderr)
	target, err := parseCommand(fs, args, "TARGET")
	if err != nil {
		return err
	}
	plan, err := f.plan(target)
	if err != nil {
		if errors.Is(err, errUsage) {
			fs.Usage()
		}
		return err
	}
	prog := newProgress(stderr, f.quiet)
	res, err := plan.build(ctx, prog)
	if err != nil {
		return err
	}
	if err := plan.write(ctx, res, stdout); err != nil {
		return err
	}
	prog.done()
	return report(stdout, stderr, plan, res)
}

// buildPlan is a validated build: everything parsed before any work.
type buildPlan struct {
	target      string
	binary      bool
	platforms   []image.Platform
	created     time.Time
	layerOpts   layer.Options
	user        string
	tags        []string
	output      string
	base        string
	baseTag     string
	env, labels map[string]string
	annotations map[string]string
	flags       *buildFlags
}

func (f *buildFlags) plan(target string) (*buildPlan, error) {
	p := &buildPlan{target: target, flags: f, output: f.output}
	if p.output == "" {
		return nil, fmt.Errorf("%w: no output; add -o DIR (an OCI layout), -o FILE.tar or -o - (a tarball on stdout)", errUsage)
	}
	p.binary = isBinaryPath(target)
	if !p.binary {
		if _, err := os.Stat(target); err != nil && (strings.HasPrefix(target, ".") || filepath.IsAbs(target)) {
			return nil, fmt.Errorf("TARGET %s does not exist; give a Go package directory such as ./cmd/server, an import path, or a built binary", target)
		}
	}
	plats := f.platforms.values
	if len(plats) == 0 {
		plats = []string{"linux/" + runtime.GOARCH}
	}
	seen := map[string]bool{}
	for _, s := range plats {
		pl, err := image.ParsePlatform(s)
		if err != nil {
			return nil, fmt.Errorf("--platform: %w", err)
		}
		if pl.OS != "linux" {
			return nil, fmt.Errorf("--platform %s: minimage builds linux images only; a %s image needs that OS's own base layers", pl, pl.OS)
		}
		if seen[pl.String()] {
			return nil, fmt.Errorf("--platform lists %s twice", pl)
		}
		seen[pl.String()] = true
		p.platforms = append(p.platforms, pl)
	}
	if p.binary && len(p.platforms) > 1 {
		return nil, fmt.Errorf("TARGET %s is a built binary, which serves one platform; give a Go package to build for %d platforms", target, len(p.platforms))
	}
	var err error
	switch {
	case f.created != "":
		if p.created, err = parseCreated(f.created); err != nil {
			return nil, err
		}
	default:
		t, ok, err := layer.SourceDateEpoch()
		if err != nil {
			return nil, err
		}
		if ok {
			p.created = t
		}
	}
	comp, err := layer.ParseCompression(f.compression)
	if err != nil {
		return nil, fmt.Errorf("--compression: %w", err)
	}
	p.layerOpts = layer.Options{Format: layer.Format{Compression: comp, Level: f.level, ModTime: p.created}}
	if err := p.layerOpts.Validate(); err != nil {
		return nil, fmt.Errorf("--level: %w", err)
	}
	if p.user, err = parseUser(f.user); err != nil {
		return nil, err
	}
	if p.env, err = keyValues("env", f.env.values); err != nil {
		return nil, err
	}
	if p.labels, err = keyValues("label", f.labels.values); err != nil {
		return nil, err
	}
	if p.annotations, err = keyValues("annotation", f.annotations.values); err != nil {
		return nil, err
	}
	for _, file := range f.files.values {
		src, dst, ok := strings.Cut(file, ":")
		if !ok || src == "" || dst == "" {
			return nil, fmt.Errorf("--file %q: want SRC:DST, such as config.yaml:/etc/app/config.yaml", file)
		}
	}
	if f.bare && (f.baseRef != "" || len(f.zones.values) > 0 || f.localtime != "") {
		return nil, fmt.Errorf("%w: --bare is the binary alone; it cannot take --base, --zones or --localtime", errUsage)
	}
	if f.baseRef != "" {
		p.base, p.baseTag = splitRef(f.baseRef)
		if _, err := os.Stat(p.base); err != nil {
			return nil, fmt.Errorf("--base %s: %w", p.base, err)
		}
	}
	p.tags = f.tags.values
	if len(p.tags) == 0 {
		p.tags = []string{binaryName(target) + ":latest"}
	}
	return p, nil
}

// splitRef splits PATH[:TAG]. Both may hold colons (a tag such as
// "app:v1"), so the path is the shortest prefix before a colon that
// exists on disk.
func splitRef(s string) (path, tag string) {
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] != ':' || i == 0 {
			continue
		}
		if _, err := os.Stat(s[:i]); err == nil {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
