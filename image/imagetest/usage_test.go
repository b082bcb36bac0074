package imagetest_test

// This file reads as a user's tests would: the code under test is a small
// mirror (a "push" from a tarball into a registry-like layout) and an
// os-release scanner, and imagetest supplies the images.

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
)

// mirror copies what tag names in the tarball src into the layout dst,
// under the same tag, and returns what it copied.
func mirror(ctx context.Context, src, dst, tag string) (image.Artifact, error) {
	l, err := tarball.Read(src)
	if err != nil {
		return nil, err
	}
	a, err := l.Artifact(ctx, tag)
	if err != nil {
		return nil, err
	}
	return a, layout.Write(ctx, dst, a, layout.Options{Tags: []string{tag}})
}

func TestMirror(t *testing.T) {
	want := imagetest.Index(t, imagetest.Spec{Seed: 1, Layers: 3, Files: 10, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}})
	src := imagetest.WriteTarball(t, want, "example.com/app:v1")
	registry := t.TempDir()

	copied, err := mirror(t.Context(), src, registry, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if copied.Digest() != want.Digest() {
		t.Errorf("mirror copied %s, want %s", copied.Digest(), want.Digest())
	}

	l, err := layout.Read(registry)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := l.Images(t.Context(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := image.NewIndex(imgs...)
	if err != nil {
		t.Fatal(err)
	}
	imagetest.EqualFiles(t, got, want)
}

// osRelease returns the content of /etc/os-release in img, reading layers
// from the top, as a vulnerability scanner does to name the distribution.
func osRelease(img *image.Image) (string, error) {
	layers := img.Layers()
	for i := len(layers) - 1; i >= 0; i-- {
		rc, err := layers[i].Uncompressed(context.Background())
		if err != nil {
			return "", err
		}
		content, found, err := findOSRelease(tar.NewReader(rc))
		rc.Close()
		if err != nil || found {
			return content, err
		}
	}
	return "", errNoOSRelease
}

var errNoOSRelease = errors.New("no /etc/os-release")

func findOSRelease(tr *tar.Reader) (content string, found bool, err error) {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		switch h.Name {
		case "etc/os-release":
			b, err := io.ReadAll(tr)
			return string(b), true, err
		case "etc/.wh.os-release", "etc/.wh..wh..opq", ".wh.etc":
			return "", true, errNoOSRelease
		}
	}
}

func TestOSRelease(t *testing.T) {
	const debian = "ID=debian\nVERSION_ID=12\n"
	for _, c := range []struct {
		name   string
		layers []imagetest.LayerSpec
		want   string
		err    error
	}{
		{"in the base", []imagetest.LayerSpec{imagetest.Layer{"etc/os-release": debian}, imagetest.Layer{"app/main": "bin"}}, debian, nil},
		{"replaced", []imagetest.LayerSpec{imagetest.Layer{"etc/os-release": "ID=alpine\n"}, imagetest.Layer{"etc/os-release": debian}}, debian, nil},
		{"deleted", []imagetest.LayerSpec{imagetest.Layer{"etc/os-release": debian}, imagetest.Layer{"etc/os-release": imagetest.Whiteout}}, "", errNoOSRelease},
		{"etc made opaque", []imagetest.LayerSpec{imagetest.Layer{"etc/os-release": debian}, imagetest.Layer{"etc": imagetest.Opaque, "etc/passwd": "root:x:0:0::/:\n"}}, "", errNoOSRelease},
		{"none", []imagetest.LayerSpec{imagetest.Layer{"app/main": "bin"}}, "", errNoOSRelease},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: "amd64"}, c.layers...)
			got, err := osRelease(img)
			if got != c.want || !errors.Is(err, c.err) {
				t.Errorf("osRelease = %q, %v; want %q, %v", got, err, c.want, c.err)
			}
			// The scanner must agree with what a runtime would extract.
			if f, ok := imagetest.Files(t, img)["/etc/os-release"]; ok != (c.err == nil) || f.Content != c.want {
				t.Errorf("the flattened image has /etc/os-release %v (%v); the scanner says %q", ok, f, got)
			}
		})
	}
}
