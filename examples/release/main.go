// Command release is a release script written against the minimage
// library, not the CLI: it compiles a Go package for several platforms and
// publishes one multi-platform index, tagged and annotated, to an OCI
// layout directory and to a tarball.
//
//	go run ./examples/release -version v1.2.3 -out dist ./examples/hello
//
// writes dist/layout (an OCI layout holding hello:v1.2.3 and hello:latest)
// and dist/hello.tar, and prints the index digest.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func main() {
	version := flag.String("version", "v0.0.0", "version to tag and annotate")
	out := flag.String("out", "dist", "output directory")
	platforms := flag.String("platforms", "linux/amd64,linux/arm64", "comma-separated platforms")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: release [-version V] [-out DIR] [-platforms LIST] PACKAGE")
	}
	digest, err := release(context.Background(), flag.Arg(0), *version, *out, strings.Split(*platforms, ","))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(digest)
}

// release builds and writes the index and returns its digest.
func release(ctx context.Context, pkg, version, out string, platforms []string) (string, error) {
	// One time for every layer and the config: the commit's, when the
	// build sets SOURCE_DATE_EPOCH, so a rebuild gives the same digests.
	created, _, err := layer.SourceDateEpoch()
	if err != nil {
		return "", err
	}
	var plats []image.Platform
	for _, s := range platforms {
		p, err := image.ParsePlatform(s)
		if err != nil {
			return "", err
		}
		plats = append(plats, p)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	name := filepath.Base(pkg)
	annotations := map[string]string{
		ocispec.AnnotationVersion: version,
		ocispec.AnnotationTitle:   name,
	}
	if !created.IsZero() {
		annotations[ocispec.AnnotationCreated] = created.Format(time.RFC3339)
	}
	// One build: the layers every platform shares are built once and
	// stored once, the go builds of the platforms overlap, and both
	// outputs get the same index.
	res, err := build.Run(ctx, build.Recipe{
		Package:     pkg,
		Path:        "/app",
		Platforms:   plats,
		Zones:       []string{"Europe/*", "America/*"},
		Created:     created,
		Labels:      map[string]string{ocispec.AnnotationVersion: version},
		Annotations: annotations,
		Outputs: []build.Output{
			{Format: build.Layout, Path: filepath.Join(out, "layout")},
			{Format: build.Tarball, Path: filepath.Join(out, name+".tar")},
		},
		Tags: []string{name + ":" + version, name + ":latest"},
	})
	if err != nil {
		return "", err
	}
	return res.Artifact.Digest().String(), nil
}
