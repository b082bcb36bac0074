package interop

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

const helloSrc = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("hello from minimage uid=%d\n", os.Getuid()) }
`

var (
	amd64 = image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = image.Platform{OS: "linux", Architecture: "arm64"}
)

// fixture is what the tests check, built once per test binary: a
// linux/amd64 image whose entrypoint is a static Go program, an index
// of it and its arm64 twin, a layout holding both and tarballs of each.
type fixture struct {
	hello   string // the amd64 program
	img     *image.Image
	index   *image.Index
	layout  string // tags "v1" (img) and "multi" (index)
	tarball string // img, tagged minimage/hello:v1
	multi   string // index, tagged minimage/hello:multi
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
	tmpRoot string
	atExit  []func() // run by TestMain after the tests, for what tests share
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range atExit {
		f()
	}
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = buildFixture() })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func buildFixture() (*fixture, error) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "minimage-interop-"); err != nil {
		return nil, err
	}
	src := filepath.Join(tmpRoot, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module github.com/example/hello\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte(helloSrc), 0o644)
	bins := map[string]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		out := filepath.Join(tmpRoot, "hello-"+arch)
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-buildvcs=false")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build: %v\n%s", err, b)
		}
		bins[arch] = out
	}
	ctx := context.Background()
	motd := layer.New(layer.Options{})
	motd.AddFile("etc/motd", []byte("built by minimage\n"), layer.Attr{})
	motd.AddDir("tmp", layer.Attr{Mode: 0o777 | fs.ModeSticky})
	motdLayer, err := motd.Build(ctx)
	if err != nil {
		return nil, err
	}
	mk := func(p image.Platform) (*image.Image, error) {
		img := image.New(p).AppendLayer(motdLayer, image.History{CreatedBy: "minimage: motd"}).
			WithAnnotation("org.opencontainers.image.title", "hello")
		return gobinary.Add(ctx, img, "/hello", bins[p.Architecture], gobinary.Options{})
	}
	f := &fixture{hello: bins["amd64"], layout: filepath.Join(tmpRoot, "layout")}
	if f.img, err = mk(amd64); err != nil {
		return nil, err
	}
	armImg, err := mk(arm64)
	if err != nil {
		return nil, err
	}
	if f.index, err = image.NewIndex(f.img, armImg); err != nil {
		return nil, err
	}
	if err := layout.Write(ctx, f.layout, f.img, layout.Options{Tags: []string{"v1"}}); err != nil {
		return nil, err
	}
	if err := layout.Write(ctx, f.layout, f.index, layout.Options{Tags: []string{"multi"}}); err != nil {
		return nil, err
	}
	write := func(name string, v image.Artifact, tag string) (string, error) {
		p := filepath.Join(tmpRoot, name)
		w, err := os.Create(p)
		if err != nil {
			return "", err
		}
		defer w.Close()
		return p, tarball.Write(ctx, w, v, tarball.Options{Tags: []string{tag}})
	}
	if f.tarball, err = write("hello.tar", f.img, "minimage/hello:v1"); err != nil {
		return nil, err
	}
	if f.multi, err = write("multi.tar", f.index, "minimage/hello:multi"); err != nil {
		return nil, err
	}
	return f, nil
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// untarTo extracts the tarball at path into dir.
func untarTo(t *testing.T, tarball, dir string) {
	t.Helper()
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	testenv.Untar(t, f, dir)
}
