package build_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
)

func TestParsePort(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want, says string }{
		{"8080", "8080", ""},
		{"53/udp", "53/udp", ""},
		{"443/TCP", "443/tcp", ""},
		{"9/sctp", "9/sctp", ""},
		{"080", "80", ""},
		{"65535", "65535", ""},
		{"99999", "", "99999 is out of range; ports are 1 to 65535"},
		{"0", "", "0 is out of range"},
		{"http", "", `"http" is not a port number`},
		{"abc", "", `"abc" is not a port number`},
		{"99999/xyz", "", `unknown protocol "xyz"`},
		{"8080/", "", `unknown protocol ""`},
		{"-1", "", "ranges are not supported"},
		{"8000-8100", "", "ranges are not supported"},
		{"", "", "is not a port number"},
	} {
		got, err := build.ParsePort(c.in)
		switch {
		case c.says == "" && (err != nil || got != c.want):
			t.Errorf("ParsePort(%q) = %q, %v; want %q", c.in, got, err, c.want)
		case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says) || !errors.Is(err, build.ErrInvalid)):
			t.Errorf("ParsePort(%q) = %q, %v; want an ErrInvalid saying %q", c.in, got, err, c.says)
		}
	}
}

func TestParseOutput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want build.OutputFormat
		says string
	}{
		{"out", build.Layout, ""},
		{"dist/app.oci", build.Layout, ""},
		{"app.tar", build.Tarball, ""},
		{"APP.TAR", build.Tarball, ""},
		{"app.tgz", 0, "name it app.tar and compress it afterwards"},
		{"dir/app.tar.gz", 0, "name it dir/app.tar"},
		{"app.tar.zst", 0, "uncompressed tarball"},
		{"app.zip", 0, "a name without .zip"},
		{"app.gz", 0, "uncompressed tarball"},
		{"", 0, "no path"},
	} {
		got, err := build.ParseOutput(c.in)
		switch {
		case c.says == "" && (err != nil || got.Format != c.want || got.Path != c.in):
			t.Errorf("ParseOutput(%q) = %+v, %v; want format %v", c.in, got, err, c.want)
		case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says) || !errors.Is(err, build.ErrInvalid)):
			t.Errorf("ParseOutput(%q) = %+v, %v; want an ErrInvalid saying %q", c.in, got, err, c.says)
		}
	}
}

// TestChecksBeforeWork runs recipes that must be refused, each with a
// package that does not compile: a check that came after go build would
// report the compile error instead of its own.
func TestChecksBeforeWork(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken")
	writeFiles(t, broken, map[string]string{
		"go.mod":  "module broken\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() { this does not compile }\n",
	})
	file := filepath.Join(dir, "file.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	foreign := filepath.Join(dir, "foreign")
	writeFiles(t, foreign, map[string]string{"notes.txt": "not a layout"})
	existingFile := filepath.Join(dir, "existing")
	os.WriteFile(existingFile, []byte("x"), 0o644)
	amd64 := image.Platform{OS: "linux", Architecture: "amd64"}
	ok := func(r build.Recipe) build.Recipe {
		r.Package = broken
		return r
	}
	cases := []struct {
		name string
		r    build.Recipe
		says string
	}{
		{"no target", build.Recipe{}, "exactly one of Package"},
		{"both targets", build.Recipe{Package: broken, Binaries: []build.Binary{{Path: file}}}, "exactly one of Package"},
		{"missing package", build.Recipe{Package: "./does/not/exist"}, "does not exist"},
		{"binary not ELF", build.Recipe{Binaries: []build.Binary{{Path: file}}, Platforms: []image.Platform{amd64}}, "not an ELF"},
		{"binary not ELF for a platform", build.Recipe{Binaries: []build.Binary{{Path: file, Platform: amd64}}}, "not an ELF"},
		{"platform", ok(build.Recipe{Platforms: []image.Platform{{OS: "linux", Architecture: "x86_64"}}}), "did you mean linux/amd64?"},
		{"variant", ok(build.Recipe{Platforms: []image.Platform{{OS: "linux", Architecture: "amd64", Variant: "v9"}}}), "unknown amd64 variant"},
		{"twice", ok(build.Recipe{Platforms: []image.Platform{{OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}}), "given twice"},
		{"port", ok(build.Recipe{Ports: []string{"8080", "99999"}}), "out of range"},
		{"port name", ok(build.Recipe{Ports: []string{"http"}}), "not a port number"},
		{"created 10000", ok(build.Recipe{Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}), "year 10000 is outside 0 to 9999"},
		{"created -1", ok(build.Recipe{Created: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}), "year -1 is outside"},
		{"level", ok(build.Recipe{Layer: layerLevel(12)}), "1 (fastest) to 9"},
		{"layer tee", ok(build.Recipe{Layer: layer.Options{Tee: io.Discard}}), "Tee and Sink must be nil"},
		{"layer sink", ok(build.Recipe{Layer: layer.Options{Sink: os.Stdout}}), "Tee and Sink must be nil"},
		{"user", ok(build.Recipe{User: "bob"}), "UID[:GID]"},
		{"env", ok(build.Recipe{Env: []string{"A=1", "B"}}), `env "B": want KEY=VALUE`},
		{"label", ok(build.Recipe{Labels: map[string]string{"": "x"}}), "label with an empty key"},
		{"zone", ok(build.Recipe{Zones: []string{"Europe/Pariss"}}), "Europe/Paris"},
		{"localtime", ok(build.Recipe{Localtime: "Mars/Olympus"}), "localtime"},
		{"zip without zones", ok(build.Recipe{ZoneinfoZip: true}), "without zones"},
		{"bare with zones", ok(build.Recipe{Bare: true, Zones: []string{"UTC"}}), "bare image is the binary alone"},
		{"bare on a base", ok(build.Recipe{Bare: true, Base: build.BaseOf("b", image.New(amd64))}), "cannot take a base"},
		{"bare dynamic", ok(build.Recipe{Bare: true, AllowDynamic: true}), "no C library"},
		{"missing file", ok(build.Recipe{Files: []build.File{{Source: filepath.Join(dir, "nope"), Path: "/x"}}}), "nope"},
		{"file twice", ok(build.Recipe{Files: []build.File{{Source: file, Path: "/x"}, {Source: file, Path: "x"}}}), "/x is given twice"},
		{"file to root", ok(build.Recipe{Files: []build.File{{Source: file, Path: "/"}}}), "give the path it takes"},
		{"path root", ok(build.Recipe{Path: "/"}), "needs a file name"},
		{"output parent", ok(build.Recipe{Outputs: []build.Output{{Path: filepath.Join(dir, "no", "such", "out")}}}), "does not exist; create it first"},
		{"output tgz", ok(build.Recipe{Outputs: []build.Output{{Path: filepath.Join(dir, "x.tgz")}}}), "name it"},
		{"tarball tgz", ok(build.Recipe{Outputs: []build.Output{{Format: build.Tarball, Path: filepath.Join(dir, "x.tar.gz")}}}), "uncompressed tarball"},
		{"output foreign dir", ok(build.Recipe{Outputs: []build.Output{{Path: foreign}}}), "holds other files"},
		{"layout on file", ok(build.Recipe{Outputs: []build.Output{{Path: existingFile}}}), "is a file, not an OCI layout"},
		{"tarball on dir", ok(build.Recipe{Outputs: []build.Output{{Format: build.Tarball, Path: foreign}}}), "is a directory"},
		{"output twice", ok(build.Recipe{Outputs: []build.Output{{Path: filepath.Join(dir, "o")}, {Path: filepath.Join(dir, "o") + "/"}}}), "given twice"},
		{"writer layout", ok(build.Recipe{Outputs: []build.Output{{Path: "w", Writer: os.Stdout}}}), "a writer takes a tarball"},
		{"remote on layout", ok(build.Recipe{Outputs: []build.Output{{Path: filepath.Join(dir, "o"), Remote: remote.Options{Jobs: 2}}}}), "talks to no registry"},
		{"remote options", ok(build.Recipe{Outputs: []build.Output{{Format: build.Registry, Path: "localhost:5000/app", Remote: remote.Options{InsecureAllowHTTP: true, InsecureSkipTLSVerify: true}}}}), "no certificate to skip"},
		{"base platform", ok(build.Recipe{Base: build.BaseOf("arm", image.New(image.Platform{OS: "linux", Architecture: "arm64"})), Platforms: []image.Platform{amd64}}), "no image for linux/amd64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := build.Run(context.Background(), c.r)
			if err == nil {
				t.Fatal("Run accepted the recipe")
			}
			if !strings.Contains(err.Error(), c.says) || !strings.HasPrefix(err.Error(), "build: ") {
				t.Errorf("error %q; want it to start with \"build: \" and say %q", err, c.says)
			}
			if c.name == "base platform" {
				return // found when the base is read, which Validate does not
			}
			if !errors.Is(err, build.ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			if verr := c.r.Validate(); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate: %v; want Run's error %q", verr, err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x.tgz")); err == nil {
		t.Error("a refused x.tgz output was made anyway")
	}
	// The zone error keeps tzdata's sentinel.
	_, err := build.Run(context.Background(), ok(build.Recipe{Zones: []string{"Europe/Pariss"}}))
	if !errors.Is(err, tzdata.ErrUnknownZone) {
		t.Errorf("zone error %v does not wrap tzdata.ErrUnknownZone", err)
	}
	if runtime.GOOS != "linux" {
		return
	}
	// The sentinel of a layout that is not one is kept too.
	_, err = build.Run(context.Background(), ok(build.Recipe{Outputs: []build.Output{{Path: foreign}}}))
	if !errors.Is(err, layout.ErrNotLayout) {
		t.Errorf("foreign output error %v does not wrap layout.ErrNotLayout", err)
	}
}

// TestValidate checks that Validate accepts a runnable recipe without
// reading its base, and that RegistryBase refuses remote options that
// contradict each other.
func TestValidate(t *testing.T) {
	t.Parallel()
	called := false
	r := build.Recipe{Package: ".", Base: baseFunc(func() { called = true })}
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if called {
		t.Error("Validate read the base")
	}
	_, err := build.RegistryBase("localhost:5000/base:v1", remote.Options{Username: "u"})
	if !errors.Is(err, build.ErrInvalid) || !errors.Is(err, remote.ErrInvalidOptions) || !strings.Contains(err.Error(), "without a password") {
		t.Errorf("RegistryBase with half a credential: %v, want ErrInvalid and remote.ErrInvalidOptions", err)
	}
}

// baseFunc is a Base that calls f when it is read.
type baseFunc func()

func (f baseFunc) Image(context.Context, image.Platform) (*image.Image, error) {
	f()
	return nil, errors.New("not read in this test")
}

func (f baseFunc) Name() string { return "func" }

func TestName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r    build.Recipe
		want string
	}{
		{build.Recipe{Package: "./cmd/server"}, "server"},
		{build.Recipe{Package: "example.com/tool/v2"}, "tool"},
		{build.Recipe{Package: "example.com/tool/cmd/Tool@v1.2.3"}, "tool"},
		{build.Recipe{Binaries: []build.Binary{{Path: "/tmp/app.exe"}}}, "app"},
		{build.Recipe{Package: ".", Dir: "/src/myapp"}, "myapp"},
		{build.Recipe{Package: "./cmd/server", Path: "/usr/bin/srv"}, "srv"},
	} {
		if got := c.r.Name(); got != c.want {
			t.Errorf("%+v.Name() = %q, want %q", c.r, got, c.want)
		}
	}
}
