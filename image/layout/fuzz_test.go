package layout_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
)

// FuzzRead feeds arbitrary index.json and manifest bytes to Read and
// every reading method: they may fail, never panic or hang.
func FuzzRead(f *testing.F) {
	img := imagetest.Fixture(f, amd64)
	dir := f.TempDir()
	if err := layout.Write(context.Background(), dir, img, layout.Options{Tags: []string{"app"}}); err != nil {
		f.Fatal(err)
	}
	index := mustRead(f, filepath.Join(dir, "index.json"))
	f.Add(index, img.RawManifest())
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:`+img.Digest().Encoded()+`","size":10}]}`), []byte(`{"schemaVersion":2,"manifests":[]}`))
	f.Add([]byte(`{}`), []byte(`{"schemaVersion":2,"config":{"digest":"sha256:00"},"layers":[{}]}`))
	f.Fuzz(func(t *testing.T, index, manifest []byte) {
		d := t.TempDir()
		os.CopyFS(d, os.DirFS(dir))
		os.WriteFile(filepath.Join(d, "index.json"), index, 0o644)
		// The manifest goes under the digest index.json names, so that
		// the fuzzer reaches the parsers.
		os.WriteFile(filepath.Join(d, "blobs", "sha256", img.Digest().Encoded()), manifest, 0o644)
		l, err := layout.Read(d)
		if err != nil {
			return
		}
		Exercise(t, l)
	})
}

// Exercise takes, rebuilds and reads back everything src holds.
func Exercise(t *testing.T, src interface {
	image.Source
	Verify(context.Context) (int, error)
}) {
	ctx := context.Background()
	src.Verify(ctx)
	for _, tag := range append(src.Tags(), "") {
		if a, err := src.Artifact(ctx, tag); err == nil {
			a.Blobs()
			image.Verify(ctx, a)
		}
		for _, p := range []image.Platform{{}, amd64, arm64} {
			img, err := src.Image(ctx, tag, p)
			if err != nil {
				continue
			}
			img.Digest()
			img.Config()
			image.FromBase(img, "base").WithEnv("A", "B").RawConfig()
		}
	}
}
