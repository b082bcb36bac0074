package layout_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
)

// BenchmarkWriteConcurrent writes 8 images at once, as 8 builds in one
// process do: into one layout, where the writers share the lock and the
// base layers, and into 8 layouts, where they share nothing. Each image
// has the fixture's two layers and a 4 MiB layer of its own. The first
// should take little more than the second (see BENCHMARKS.md).
func BenchmarkWriteConcurrent(b *testing.B) {
	const n = 8
	rng := rand.NewChaCha8([32]byte{26, 4})
	imgs := make([]*image.Image, n)
	for i := range imgs {
		data := make([]byte, 4<<20)
		rng.Read(data)
		imgs[i] = imagetest.Fixture(b, amd64).Append(imagetest.FilesLayer(b, "data", string(data)))
	}
	for _, bc := range []struct {
		name    string
		layouts int
	}{{"one-layout", 1}, {"eight-layouts", n}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(n) * (4 << 20))
			root := b.TempDir()
			for it := 0; b.Loop(); it++ {
				var wg sync.WaitGroup
				errs := make([]error, n)
				for i, img := range imgs {
					dir := fmt.Sprintf("%s/%d/%d", root, it, i%bc.layouts)
					wg.Go(func() {
						errs[i] = layout.Write(context.Background(), dir, img, layout.Options{Tags: []string{fmt.Sprint("t", i)}})
					})
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				os.RemoveAll(fmt.Sprint(root, "/", it))
				b.StartTimer()
			}
		})
	}
}
