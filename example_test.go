package minimage_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
)

// buildApp is the README's "library in a dozen lines", word for word
// (TestREADMELibrary keeps them the same).
func buildApp(ctx context.Context, bin, out string) error {
	var layers []*layer.Layer
	for _, build := range []func() (*layer.Layer, error){
		func() (*layer.Layer, error) { return base.Layer(ctx, base.Options{}) },
		func() (*layer.Layer, error) { return certs.Layer(ctx, certs.Options{}) },
		func() (*layer.Layer, error) { return tzdata.Layer(ctx, tzdata.Options{Zones: []string{"Europe/*"}}) },
	} {
		l, err := build()
		if err != nil {
			return err // an unknown zone says which names are close
		}
		layers = append(layers, l)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(layers...)
	img, err := gobinary.Add(ctx, img, "/app", bin, gobinary.Options{}) // checks the ELF
	if err != nil {
		return err // wrong architecture, dynamically linked, not ELF: with the fix
	}
	return layout.Write(ctx, out, img.WithEnv("APP_ENV", "prod"), layout.Options{Tags: []string{"app:v1"}})
}

// The library in a dozen lines: the files of a distroless-static base,
// the CA bundle, Europe's zones and a Go binary, as an OCI layout.
func Example() {
	dir, err := os.MkdirTemp("", "minimage-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// A static linux/amd64 binary of examples/hello.
	bin := filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./examples/hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}

	ctx := context.Background()
	if err := buildApp(ctx, bin, filepath.Join(dir, "out")); err != nil {
		log.Fatal(err)
	}
	l, err := layout.Read(filepath.Join(dir, "out"))
	if err != nil {
		log.Fatal(err)
	}
	img, err := l.Image(ctx, "app:v1", image.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(img.Layers()), img.Config().Config.Entrypoint, img.Config().Config.User)
	// A binary for the wrong architecture is refused, with the fix.
	cmd = exec.Command("go", "build", "-trimpath", "-o", bin, "./examples/hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	err = buildApp(ctx, bin, filepath.Join(dir, "out"))
	fmt.Println(errors.Is(err, gobinary.ErrWrongArch))
	// Output:
	// 4 [/app] 65532:65532
	// true
}
