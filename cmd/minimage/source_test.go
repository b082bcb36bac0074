package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/ref"
)

// TestBareNameRule checks that every command reading a source reads a
// name that names no registry as docker does: the path when it exists,
// else Docker Hub, as pull and --base read it.
func TestBareNameRule(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir(filepath.Join(dir, "hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := parseSource("hello:latest")
	if err != nil || r.Kind != ref.Layout || r.Path != "hello" || r.Tag != "latest" {
		t.Errorf("hello:latest with ./hello: %+v, %v; want the layout hello, tag latest", r, err)
	}
	r, err = parseSource("alpine:3.20")
	if err != nil || r.Kind != ref.Registry || r.Reference.String() != "docker.io/library/alpine:3.20" {
		t.Errorf("alpine:3.20: %+v, %v; want docker.io/library/alpine:3.20", r, err)
	}
	// The commands themselves: each goes to Docker Hub (and gives up
	// after --timeout here, which has no network), none refuses the name.
	for _, args := range [][]string{
		{"inspect", "nosuchname:v1", "--timeout", "50ms"},
		{"export", "nosuchname:v1", "-o", filepath.Join(dir, "x.tar"), "--timeout", "50ms"},
		{"index", "create", filepath.Join(dir, "ix") + ":v1", "nosuchname:v1", "--timeout", "50ms"},
	} {
		var errb strings.Builder
		run(t.Context(), args, nil, &strings.Builder{}, &errb)
		if !strings.Contains(errb.String(), "docker.io/library/nosuchname") || strings.Contains(errb.String(), "does not exist") {
			t.Errorf("%s: %s; want an attempt at docker.io/library/nosuchname", args[0], errb.String())
		}
	}
}
