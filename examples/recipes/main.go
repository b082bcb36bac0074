// Command recipes builds the three Dockerfile recipes for a Go runtime
// image from one binary, with the minimage library instead of a Dockerfile,
// and prints their sizes as a markdown table:
//
//  1. scratch: FROM scratch + COPY the binary. One layer holding the
//     binary alone: no CA certificates, no time zones, no /etc/passwd.
//  2. on-base: FROM alpine (or any base, given with -base) + apk add
//     ca-certificates: the base's layers, the CA bundle, the binary.
//  3. default: minimage's distroless-style image: base files (passwd,
//     group, /tmp, /home/nonroot), the CA bundle, the zones of -zones
//     and the binary.
//
// Every image runs as 65532:65532 unless -root is given, has the binary at
// /app as its entrypoint, and goes into one OCI layout, tagged scratch,
// on-base and default:
//
//	go run ./examples/recipes -pkg ./examples/hello -base alpine.tar:alpine:3.20 -out recipes
//	skopeo inspect oci:recipes:scratch
//
// "Compressed" is what a pull downloads (layer blobs, config and manifest);
// "uncompressed" is the sum of the layers' tar streams. SOURCE_DATE_EPOCH,
// when set, dates every entry and the configs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

func main() {
	binary := flag.String("binary", "", "a statically linked Go binary for -platform")
	pkg := flag.String("pkg", "", "a Go package to build with CGO_ENABLED=0, instead of -binary")
	baseRef := flag.String("base", "", "`PATH[:TAG]` of an OCI layout or tarball to build recipe 2 on (skipped when empty)")
	out := flag.String("out", "recipes", "the OCI layout `DIR` to write the images to")
	platform := flag.String("platform", "linux/"+runtime.GOARCH, "the images' platform")
	zones := flag.String("zones", "Europe/Paris", "comma-separated zones for recipe 3")
	root := flag.Bool("root", false, "run as root (0:0) instead of 65532:65532")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "recipes: unexpected arguments %q; give the binary with -binary or the package with -pkg\n", flag.Args())
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), *binary, *pkg, *baseRef, *out, *platform, *zones, *root); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run builds the binary when given a package, builds and writes the
// recipes, and prints where they went and their sizes.
func run(ctx context.Context, binary, pkg, baseRef, out, platform, zones string, root bool) error {
	if (binary == "") == (pkg == "") {
		return errors.New("recipes: give exactly one of -binary PATH and -pkg PACKAGE")
	}
	p, err := image.ParsePlatform(platform)
	if err != nil {
		return fmt.Errorf("recipes: -platform: %w", err)
	}
	created, _, err := layer.SourceDateEpoch()
	if err != nil {
		return fmt.Errorf("recipes: %w", err)
	}
	opts := Options{
		Binary:   binary,
		Package:  pkg,
		Base:     baseRef,
		Out:      out,
		Platform: p,
		Root:     root,
		Layer:    layer.Options{Format: layer.Format{ModTime: created}},
	}
	if zones != "" {
		opts.Zones = strings.Split(zones, ",")
	}
	recipes, err := Build(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Printf("Wrote %s: tags", out)
	for _, r := range recipes {
		fmt.Printf(" %s", r.Tag)
	}
	fmt.Print(".\n\n")
	return WriteTable(os.Stdout, recipes)
}
