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
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
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
	opts := layer.Options{ModTime: created}

	// Layers every platform shares are built once and stored once.
	baseLayer, err := base.Layer(ctx, base.Options{Layer: opts})
	if err != nil {
		return "", err
	}
	caLayer, err := certs.Layer(ctx, certs.Options{Layer: opts})
	if err != nil {
		return "", err
	}
	zoneLayer, err := tzdata.Layer(ctx, tzdata.Options{Zones: []string{"Europe/*", "America/*"}, Layer: opts})
	if err != nil {
		return "", err
	}

	tmp, err := os.MkdirTemp("", "release-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)

	var imgs []*image.Image
	for _, s := range platforms {
		p, err := image.ParsePlatform(s)
		if err != nil {
			return "", err
		}
		bin, err := goBuild(ctx, pkg, tmp, p)
		if err != nil {
			return "", err
		}
		img := image.New(p).Append(baseLayer, caLayer, zoneLayer)
		if img, err = img.AddBinary(ctx, "/app", bin, image.BinaryOptions{Layer: opts}); err != nil {
			return "", err
		}
		if !created.IsZero() {
			img = img.WithCreated(created)
		}
		imgs = append(imgs, img.
			WithAnnotation(ocispec.AnnotationVersion, version).
			WithAnnotation(ocispec.AnnotationTitle, filepath.Base(pkg)).
			WithLabel(ocispec.AnnotationVersion, version))
	}
	ix, err := image.NewIndex(imgs...)
	if err != nil {
		return "", err
	}
	ix = ix.WithAnnotation(ocispec.AnnotationVersion, version)
	if !created.IsZero() {
		ix = ix.WithAnnotation(ocispec.AnnotationCreated, created.Format(time.RFC3339))
	}

	name := filepath.Base(pkg)
	tags := []string{name + ":" + version, name + ":latest"}
	if err := layout.Write(ctx, filepath.Join(out, "layout"), ix, layout.Options{Tags: tags}); err != nil {
		return "", err
	}
	if err := tarball.WriteFile(ctx, filepath.Join(out, name+".tar"), ix, tarball.Options{Tags: tags}); err != nil {
		return "", err
	}
	return ix.Digest().String(), nil
}

// goBuild compiles pkg for p, statically.
func goBuild(ctx context.Context, pkg, dir string, p image.Platform) (string, error) {
	bin := filepath.Join(dir, strings.ReplaceAll(p.String(), "/", "-"))
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s for %s: %w", pkg, p, err)
	}
	return bin, nil
}
