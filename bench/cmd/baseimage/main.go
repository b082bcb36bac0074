// Command baseimage writes minimage's own base image, the base files and
// the CA bundle with no program, to an OCI layout, for tools that take a
// base image from a registry (ko's KO_DEFAULTBASEIMAGE):
//
//	go run ./cmd/baseimage -o /tmp/base
//	skopeo copy --dest-tls-verify=false oci:/tmp/base:latest docker://127.0.0.1:PORT/base:latest
package main

import (
	"context"
	"flag"
	"log"
	"runtime"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
)

func main() {
	out := flag.String("o", "", "layout directory to write")
	flag.Parse()
	if *out == "" {
		log.Fatal("baseimage: -o DIR is required")
	}
	ctx := context.Background()
	bl, err := base.Layer(ctx, base.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ca, err := certs.Layer(ctx, certs.Options{})
	if err != nil {
		log.Fatal(err)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: runtime.GOARCH}).Append(bl, ca)
	if err := layout.Write(ctx, *out, img, layout.Options{Tags: []string{"latest"}}); err != nil {
		log.Fatal(err)
	}
}
