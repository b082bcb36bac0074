package tarball_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
)

// BenchmarkWriteFile writes an image whose 48 MiB layer was spilled to a
// file: the copy WriteFile makes of it is what is measured.
//
//	go test ./image/tarball -run '^$' -bench WriteFile -count 10
func BenchmarkWriteFile(b *testing.B) {
	dir := b.TempDir()
	data := make([]byte, 48<<20)
	rand.Read(data)
	lb := layer.New(layer.Options{Format: layer.Format{Compression: layer.Uncompressed}, SpillDir: dir, SpillThreshold: -1})
	lb.AddFile("/data", data, layer.Attr{})
	l, err := lb.Build(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	img := imagetest.Fixture(b, amd64).Append(l)
	b.SetBytes(l.Size())
	p := filepath.Join(dir, "x.tar")
	for b.Loop() {
		if err := tarball.WriteFile(context.Background(), p, img, tarball.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
