package bench

import (
	"context"
	"math/rand"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/layer"
)

// Fixture sizes: small images as tests use them, 3 layers of 10 files of
// 1 KiB each for imagetest; ggcr's random.Image puts one file per layer,
// so it gets the same bytes per layer in one file.
const (
	fixtureLayers = 3
	fixtureFiles  = 10
	fixtureSize   = 1024
)

// BenchmarkFixture measures how many fixture images each implementation
// makes per second, each image complete with its manifest digest, which
// needs every layer's compressed digest:
//
//   - minimage: imagetest.Spec.Image, gzip layers (package layer's
//     default writer, level 1), with 10 text and binary files, two
//     directories and a symlink in each layer;
//   - minimage-none: the same, uncompressed layers;
//   - ggcr-random: go-containerregistry's random.Image, one file of
//     random bytes per layer, gzip (compress/gzip, level 1) computed
//     lazily when the digest is asked for.
//
// Each iteration makes an image from a new seed, so nothing is cached.
func BenchmarkFixture(b *testing.B) {
	ctx := context.Background()
	spec := func(c layer.Compression) func(seed int64) error {
		return func(seed int64) error {
			img, err := imagetest.Spec{Seed: uint64(seed), Layers: fixtureLayers, Files: fixtureFiles, Size: fixtureSize, Compression: c}.Image(ctx)
			if err != nil {
				return err
			}
			_ = img.Digest()
			return nil
		}
	}
	for _, bc := range []struct {
		name string
		make func(seed int64) error
	}{
		{"minimage", spec(layer.Gzip)},
		{"minimage-none", spec(layer.Uncompressed)},
		{"ggcr-random", func(seed int64) error {
			img, err := random.Image(fixtureFiles*fixtureSize, fixtureLayers, random.WithSource(rand.NewSource(seed)))
			if err != nil {
				return err
			}
			_, err = img.Digest()
			return err
		}},
	} {
		b.Run("impl="+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(fixtureLayers * fixtureFiles * fixtureSize)
			seed := int64(0)
			for b.Loop() {
				seed++
				if err := bc.make(seed); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
