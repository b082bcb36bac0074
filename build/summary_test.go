package build_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
)

func TestWriteSummary(t *testing.T) {
	ix := imagetest.FixtureIndex(t)
	res := &build.Result{Artifact: ix, Images: ix.Images()}
	r := build.Recipe{
		Tags: []string{"v1", "latest"},
		Outputs: []build.Output{
			{Format: build.Layout, Path: "out"},
			{Format: build.Registry, Path: "localhost:5000/app:v1@sha256:" + strings.Repeat("0", 64)},
		},
	}
	var b strings.Builder
	if err := res.WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{"index " + ix.Digest().String()}
	for _, img := range ix.Images() {
		want = append(want, fmt.Sprintf("  %-14s manifest %s  ", img.Platform(), img.Digest()))
	}
	want = append(want, "tagged v1", "tagged latest", "wrote out (OCI layout)", "pushed localhost:5000/app:v1@"+ix.Digest().String())
	if len(lines) != len(want) {
		t.Fatalf("summary:\n%s\nwant %d lines", b.String(), len(want))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, want[i]) {
			t.Errorf("line %d = %q, want it to start %q", i, l, want[i])
		}
	}
	for i, img := range ix.Images() {
		if suffix := fmt.Sprintf(" in %d layers", len(img.Layers())); !strings.HasSuffix(lines[1+i], suffix) || !strings.Contains(lines[1+i], "B in") {
			t.Errorf("line %q: want the size and %q", lines[1+i], suffix)
		}
	}

	// One image pushed only: no tags listed (the reference holds it).
	img := ix.Images()[0]
	b.Reset()
	res = &build.Result{Artifact: img, Images: []*image.Image{img}}
	r.Outputs = r.Outputs[1:]
	if err := res.WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "image "+img.Digest().String()+"\n") || strings.Contains(b.String(), "tagged") {
		t.Errorf("a push alone:\n%s", b.String())
	}
	if err := res.WriteSummary(failWriter{}, r); !errors.Is(err, errFail) {
		t.Errorf("a failing writer: got %v, want its error", err)
	}
}

var errFail = errors.New("write failed")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }
