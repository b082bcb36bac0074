package imagetest

import (
	"bytes"
	"os"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
)

// These tests use the fixtures to check package image's writers and
// readers: what goes out comes back with the same digests and files.

func TestLayoutRoundTrip(t *testing.T) {
	for _, c := range []layer.Compression{layer.Uncompressed, layer.Gzip, layer.Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			ix := Index(t, Spec{Seed: 5, Layers: 3, Files: 10, Compression: c, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}})
			dir := WriteLayout(t, ix, "v1")
			l, err := layout.Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			imgs, err := l.Images(t.Context(), "v1")
			if err != nil {
				t.Fatal(err)
			}
			back, err := image.NewIndex(imgs...)
			if err != nil {
				t.Fatal(err)
			}
			if back.Digest() != ix.Digest() {
				t.Errorf("index read back is %s, wrote %s", back.Digest(), ix.Digest())
			}
			EqualFiles(t, back, ix)
			if n, err := l.Verify(t.Context()); err != nil || n < 3*(3+2) {
				t.Errorf("Verify: %d blobs, %v; want every layer, config and manifest", n, err)
			}
		})
	}
}

func TestTarballRoundTrip(t *testing.T) {
	img := FromLayers(t, image.Platform{OS: "linux", Architecture: "arm64"},
		Layer{"etc/os-release": "ID=fixture\n", "var/lib/db/": "", "bin/sh": Symlink("busybox")},
		Layer{"etc/os-release": Whiteout, "var/lib/db": Opaque, "var/lib/db/new": "row"},
	)
	name := WriteTarball(t, img, "example.com/app:v1")
	l, err := tarball.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	back, err := l.Image(t.Context(), "example.com/app:v1", image.Platform{OS: "linux", Architecture: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest() != img.Digest() {
		t.Errorf("image read back is %s, wrote %s", back.Digest(), img.Digest())
	}
	EqualFiles(t, back, img)
	AssertFiles(t, back, Layer{"etc/os-release": Whiteout, "var/lib/db/new": "row", "bin/sh": Symlink("busybox")})

	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if mem := TarballBytes(t, img, "example.com/app:v1"); !bytes.Equal(mem, data) {
		t.Errorf("TarballBytes gives %d bytes, WriteTarball %d, not the same", len(mem), len(data))
	}
}
