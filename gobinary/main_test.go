package gobinary_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/minimage/minimage/image"
)

// bins holds the test programs, built once per test binary on first use
// (so that a run of ExampleCheck alone builds none), by name: "amd64",
// "amd64v3", "arm64", "armv7" (static) and "cgo" (dynamic, amd64; missing
// without gcc).
var (
	bins     = map[string]string{}
	binsOnce sync.Once
	binsDir  string
)

// bin returns the path of the test program name, or "" when it could not
// be built here (cgo without gcc).
func bin(name string) string {
	binsOnce.Do(func() {
		var err error
		if binsDir, err = os.MkdirTemp("", "minimage-gobinary-test-"); err == nil {
			err = buildBins(binsDir)
		}
		if err != nil {
			panic(err)
		}
	})
	return bins[name]
}

const helloSrc = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("hello from minimage uid=%d\n", os.Getuid()) }
`

const cgoSrc = `package main

// #include <stdlib.h>
import "C"

import "fmt"

func main() { fmt.Println("cgo", C.abs(-1)) }
`

func TestMain(m *testing.M) {
	code := m.Run()
	if binsDir != "" {
		os.RemoveAll(binsDir)
	}
	os.Exit(code)
}

func buildBins(dir string) error {
	write := func(sub, src string) (string, error) {
		d := filepath.Join(dir, "src-"+sub)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte("module github.com/example/hello\n\ngo 1.22\n"), 0o644); err != nil {
			return "", err
		}
		return d, os.WriteFile(filepath.Join(d, "main.go"), []byte(src), 0o644)
	}
	hello, err := write("hello", helloSrc)
	if err != nil {
		return err
	}
	build := func(src, name string, env ...string) error {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", out, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), append([]string{"GOOS=linux", "GOWORK=off", "GOFLAGS="}, env...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", name, err, b)
		}
		bins[name] = out
		return nil
	}
	for _, b := range []struct {
		name string
		env  []string
	}{
		{"amd64", []string{"CGO_ENABLED=0", "GOARCH=amd64"}},
		{"arm64", []string{"CGO_ENABLED=0", "GOARCH=arm64"}},
		{"armv7", []string{"CGO_ENABLED=0", "GOARCH=arm", "GOARM=7"}},
		{"amd64v3", []string{"CGO_ENABLED=0", "GOARCH=amd64", "GOAMD64=v3"}},
	} {
		if err := build(hello, b.name, b.env...); err != nil {
			return err
		}
	}
	if _, err := exec.LookPath("gcc"); err == nil {
		cgo, err := write("cgo", cgoSrc)
		if err != nil {
			return err
		}
		if err := build(cgo, "cgo", "CGO_ENABLED=1", "GOARCH=amd64"); err != nil {
			return err
		}
		// A shared library: ET_DYN, DT_NEEDED libc, no interpreter.
		so := filepath.Join(dir, "lib.so")
		c := filepath.Join(dir, "lib.c")
		if err := os.WriteFile(c, []byte("#include <stdio.h>\nvoid hi(void) { puts(\"hi\"); }\n"), 0o644); err != nil {
			return err
		}
		if b, err := exec.Command("gcc", "-shared", "-fPIC", "-o", so, c).CombinedOutput(); err != nil {
			return fmt.Errorf("gcc -shared: %v\n%s", err, b)
		}
		bins["shared"] = so
	}
	return nil
}

var (
	amd64 = image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = image.Platform{OS: "linux", Architecture: "arm64"}
)
