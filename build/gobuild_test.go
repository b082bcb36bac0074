package build_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
)

// fakeGo is a "go" command that records its arguments and environment
// in $FAKE_LOG/$GOARCH.args and .env, and writes the prebuilt binary
// $FAKE_BINS/$GOARCH where -o says.
const fakeGo = `#!/bin/sh
out=""; prev=""
for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
printf '%s\n' "$@" > "$FAKE_LOG/$GOARCH.args"
env > "$FAKE_LOG/$GOARCH.env"
cp "$FAKE_BINS/$GOARCH" "$out"
`

// TestGoBuildCommand checks the go build command lines Run runs: the
// flags it always sets, GoBuild's, the variant's GOAMD64, and the
// environment passing through, with GoBuild.Env last.
func TestGoBuildCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a shell script stands in for go")
	}
	bins, log, fake := t.TempDir(), t.TempDir(), t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bins, arch), ".")
		cmd.Dir = hello(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(fake, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", fake+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_LOG", log)
	t.Setenv("FAKE_BINS", bins)
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOAMD64", "v4") // the platform says otherwise

	_, err := build.Run(t.Context(), build.Recipe{
		Package:   "example.com/app/cmd/app",
		Platforms: []image.Platform{{OS: "linux", Architecture: "amd64", Variant: "v3"}, arm64},
		GoBuild: build.GoBuild{
			Ldflags:  "-s -w -X main.version=v1",
			Tags:     []string{"netgo", "osusergo"},
			Flags:    []string{"-buildvcs=false"},
			Env:      []string{"CGO_ENABLED=1", "EXTRA=yes"},
			Parallel: 2,
		},
		AllowDynamic: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	procs := max(1, runtime.GOMAXPROCS(0)/2)
	for _, c := range []struct {
		arch string
		env  []string
	}{
		{"amd64", []string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v3", "GOFLAGS=-mod=mod", "CGO_ENABLED=1", "EXTRA=yes"}},
		{"arm64", []string{"GOOS=linux", "GOARCH=arm64", "GOFLAGS=-mod=mod", "CGO_ENABLED=1"}},
	} {
		args, err := os.ReadFile(filepath.Join(log, c.arch+".args"))
		if err != nil {
			t.Fatalf("%s: go was not run: %v", c.arch, err)
		}
		got := strings.Split(strings.TrimSpace(string(args)), "\n")
		out := got[slices.Index(got, "-o")+1]
		want := []string{"build", "-trimpath", "-p", strconv.Itoa(procs), "-o", out, "-ldflags", "-s -w -X main.version=v1", "-tags", "netgo,osusergo", "-buildvcs=false", "--", "example.com/app/cmd/app"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: go %q\nwant go %q", c.arch, got, want)
		}
		envData, _ := os.ReadFile(filepath.Join(log, c.arch+".env"))
		env := map[string]string{}
		for _, kv := range strings.Split(string(envData), "\n") {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		for _, kv := range c.env {
			k, v, _ := strings.Cut(kv, "=")
			if env[k] != v {
				t.Errorf("%s: %s=%q, want %q", c.arch, k, env[k], v)
			}
		}
		if tmp := env["GOTMPDIR"]; tmp == "" || !strings.Contains(tmp, "minimage-build-") {
			t.Errorf("%s: GOTMPDIR=%q, want a directory in the build's temporary directory", c.arch, tmp)
		}
	}
}
