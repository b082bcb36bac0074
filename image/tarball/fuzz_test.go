package tarball_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/tarball"
)

// FuzzRead feeds arbitrary tar bytes to Read and every reading method:
// they may fail, never panic or hang.
func FuzzRead(f *testing.F) {
	f.Add(tarBytes(f, imagetest.Fixture(f, amd64), "app:v1"))
	f.Add(tarBytes(f, imagetest.FixtureIndex(f)))
	f.Add([]byte("not a tarball"))
	// A docker archive (manifest.json only), and docker save's legacy
	// names, seed the docker-archive reader.
	img := imagetest.Fixture(f, amd64)
	dockerOnly := rewriteTar(f, tarBytes(f, img, "app:v1"), func(name string, body []byte) (string, []byte) {
		if name == "index.json" || name == "oci-layout" {
			return "", nil
		}
		return name, body
	})
	f.Add(dockerOnly)
	f.Add(rewriteTar(f, dockerOnly, func(name string, body []byte) (string, []byte) {
		if name == "manifest.json" {
			return name, []byte(`[{"Config":"blobs/sha256/` + img.ConfigDigest().Encoded() + `","RepoTags":["a:b"],"Layers":["x/layer.tar","x/layer.tar"]}]`)
		}
		if name == "blobs/sha256/"+img.Layers()[0].Digest().Encoded() {
			return "x/layer.tar", body
		}
		return name, body
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.tar")
		os.WriteFile(p, data, 0o644)
		l, err := tarball.Read(p)
		if err != nil {
			return
		}
		ctx := context.Background()
		l.Verify(ctx)
		for _, tag := range append(l.Tags(), "") {
			if a, err := l.Artifact(ctx, tag); err == nil {
				image.Verify(ctx, a)
			}
			for _, p := range []image.Platform{{}, amd64, arm64} {
				if img, err := l.Image(ctx, tag, p); err == nil {
					image.FromBase(img, "base").WithEnv("A", "B").RawConfig()
				}
			}
		}
	})
}
