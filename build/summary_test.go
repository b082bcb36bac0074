package build_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
)

// TestSummary: the summary names the artifact, each platform's image,
// the tags and every output, in JSON and in text.
func TestSummary(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "app.tar")
	var stdout bytes.Buffer
	r := build.Recipe{
		Binaries: []build.Binary{{Path: helloBinary(t)}}, Bare: true, Platforms: []image.Platform{amd64}, Tags: []string{"app:v1"},
		Outputs: []build.Output{{Format: build.Tarball, Path: out}, {Format: build.Tarball, Path: "stdout", Writer: &stdout}},
	}
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary(r)
	img := res.Images[0]
	if s.Digest != res.Artifact.Digest() || len(s.Platforms) != 1 || s.Platforms[0].Digest != img.Digest() ||
		s.Platforms[0].Layers != len(img.Layers()) || len(s.Outputs) != 1 || s.Outputs[0] != (build.OutputSummary{Path: out, Format: "tarball"}) {
		t.Errorf("summary %+v; want %s, one platform, and the one output with a path", s, res.Artifact.Digest())
	}
	var text, js bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"image " + img.Digest().String() + "\n", "  linux/amd64", "tagged app:v1\n", "wrote " + out + " (tarball)\n", "wrote stdout (tarball)\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back build.Summary
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Digest != s.Digest || len(back.Outputs) != 1 || back.Tags[0] != "app:v1" {
		t.Errorf("JSON %s does not read back: %v", js.String(), err)
	}
}
