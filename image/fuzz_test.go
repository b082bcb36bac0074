package image_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image"
)

// FuzzReadLayout feeds arbitrary index.json and manifest bytes to
// ReadLayout and Image: they may fail, never panic.
func FuzzReadLayout(f *testing.F) {
	img := fixture(f, amd64)
	dir := f.TempDir()
	if err := writeLayoutTB(dir, img); err != nil {
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
		// The manifest goes both under its own digest and under the one
		// index.json names, so that the fuzzer reaches the parsers.
		os.WriteFile(filepath.Join(d, "blobs", "sha256", img.Digest().Encoded()), manifest, 0o644)
		exercise(t, func() (*image.Layout, error) { return image.ReadLayout(d) })
	})
}

// FuzzReadTarball feeds arbitrary tar bytes to ReadTarball and Image.
func FuzzReadTarball(f *testing.F) {
	f.Add(tarball(f, fixture(f, amd64), "app:v1"))
	f.Add(tarball(f, fixtureIndex(f)))
	f.Add([]byte("not a tarball"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.tar")
		os.WriteFile(p, data, 0o644)
		exercise(t, func() (*image.Layout, error) { return image.ReadTarball(p) })
	})
}

// exercise opens a layout and takes, writes and reads back everything it
// can.
func exercise(t *testing.T, open func() (*image.Layout, error)) {
	l, err := open()
	if err != nil {
		return
	}
	defer l.Close()
	for _, tag := range append(l.Tags(), "") {
		for _, p := range []image.Platform{{}, amd64, arm64} {
			img, err := l.Image(tag, p)
			if err != nil {
				continue
			}
			img.Digest()
			img.Config()
			for _, ly := range img.Layers() {
				if rc, err := ly.Uncompressed(); err == nil {
					buf := make([]byte, 4096)
					for {
						if _, err := rc.Read(buf); err != nil {
							break
						}
					}
					rc.Close()
				}
			}
			image.FromBase(img, "base").WithEnv("A", "B").RawConfig()
		}
	}
}
