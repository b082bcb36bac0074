package gobinary_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
)

// A file that is not a Linux program is refused with an error that says
// what it is instead.
func ExampleCheck() {
	script := strings.NewReader("#!/bin/sh\necho hello\n")
	_, err := gobinary.Check(script, "run.sh", image.Platform{OS: "linux", Architecture: "amd64"}, gobinary.Options{})
	fmt.Println(errors.Is(err, gobinary.ErrNotELF))
	fmt.Println(err)
	// Output:
	// true
	// gobinary: "run.sh": not an ELF executable for linux/amd64: it is a script ("#!/bin/sh"), not a compiled program; give a program built with GOOS=linux GOARCH=amd64
}

// Add puts a static Go program into an image, sets the entrypoint and
// takes the source annotation from the program's module path. Here the
// program is built first, with the go command.
func ExampleAdd() {
	dir, err := os.MkdirTemp("", "gobinary-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for name, src := range map[string]string{
		"go.mod":  "module github.com/example/hello\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() { println(\"hello\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", "hello", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	hello := filepath.Join(dir, "hello")

	ctx := context.Background()
	img, err := gobinary.Add(ctx, image.New(image.Platform{OS: "linux", Architecture: "amd64"}), "/app", hello, gobinary.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Config().Config.Entrypoint, img.Annotations()["org.opencontainers.image.source"])

	// The same program in an arm64 image is refused, with the fix.
	_, err = gobinary.Add(ctx, image.New(image.Platform{OS: "linux", Architecture: "arm64"}), "/app", hello, gobinary.Options{})
	fmt.Println(errors.Is(err, gobinary.ErrWrongArch))
	// Output:
	// [/app] https://github.com/example/hello
	// true
}

func ExampleInfo_Source() {
	bi := gobinary.Info{Module: "github.com/example/app/cmd/server"}
	fmt.Println(bi.Source())
	// Output: https://github.com/example/app
}
