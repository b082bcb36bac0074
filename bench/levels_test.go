package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/minimage/minimage/layer"
)

// BenchmarkLevels builds a layer holding the Go binary and the GOROOT/src
// tar (as one file each) at each
// compression and level, through the whole layer pipeline (tar, sha256,
// compressor, sha256): the numbers behind layer's default levels.
//
//	cd bench && go test -run='^$' -bench=Levels -count=6
func BenchmarkLevels(b *testing.B) {
	cases := []layer.Format{
		{Compression: layer.Uncompressed},
		{Compression: layer.Gzip, Level: 1}, {Compression: layer.Gzip, Level: 2}, {Compression: layer.Gzip, Level: 4},
		{Compression: layer.Gzip, Level: 6}, {Compression: layer.Gzip, Level: 9},
		{Compression: layer.Zstd, Level: 1}, {Compression: layer.Zstd, Level: 2}, {Compression: layer.Zstd, Level: 3},
	}
	for _, in := range inputs(b) {
		if in.name == "random" {
			continue
		}
		bin := in.data
		for _, o := range cases {
			b.Run(fmt.Sprintf("input=%s/c=%s/level=%d", in.name, o.Compression, o.Level), func(b *testing.B) {
				b.SetBytes(int64(len(bin)))
				var size int64
				for range b.N {
					lb := layer.New(layer.Options{Format: o})
					if err := lb.AddFile("/app", bin, layer.Attr{}); err != nil {
						b.Fatal(err)
					}
					l, err := lb.Build(context.Background())
					if err != nil {
						b.Fatal(err)
					}
					size = l.Size()
				}
				b.ReportMetric(float64(size)/float64(len(bin)), "ratio")
			})
		}
	}
}
