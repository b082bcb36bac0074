package bench

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/klauspost/pgzip"
	mgzip "github.com/minimage/minimage/layer/gzip"
)

// scalingIn replaces BenchmarkScaling's input: on many cores a 33 MB
// input is too few blocks to keep them busy (see cmd/windowsim).
var scalingIn = flag.String("scaling.in", "", "BenchmarkScaling's input `FILE` (default: the binary input)")

// BenchmarkScaling compresses the binary input at the default layer level
// (2) with GOMAXPROCS and the blocks in flight set to 1, 2, 4, 8 and 16,
// up to the machine's CPUs, with this project's writer and with pgzip at
// the same block size. The speedup over one core is what scaling.sh
// prints:
//
//	cd bench && bash scaling.sh [FILE]
func BenchmarkScaling(b *testing.B) {
	var data []byte
	if *scalingIn != "" {
		// Read only this: a machine without Go (device.sh) can run it.
		var err error
		if data, err = os.ReadFile(*scalingIn); err != nil {
			b.Fatal(err)
		}
	} else {
		data = inputs(b)[0].data
	}
	const level = 2
	for _, procs := range []int{1, 2, 4, 8, 16} {
		if procs > runtime.NumCPU() {
			break
		}
		for _, name := range []string{"minimage", "pgzip"} {
			b.Run(fmt.Sprintf("procs=%d/impl=%s", procs, name), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				var w gzipWriter
				var c counter
				switch name {
				case "minimage":
					z, _ := mgzip.NewWriterLevel(&c, level)
					if err := z.SetConcurrency(blockSize, procs); err != nil {
						b.Fatal(err)
					}
					w = z
				case "pgzip":
					z, _ := pgzip.NewWriterLevel(&c, level)
					if err := z.SetConcurrency(blockSize, procs); err != nil {
						b.Fatal(err)
					}
					w = z
				}
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					c.n = 0
					w.Reset(&c)
					if z, ok := w.(*pgzip.Writer); ok {
						// pgzip's Reset goes back to its default concurrency.
						z.SetConcurrency(blockSize, procs)
					}
					feed(b, w, w, data)
				}
				b.ReportMetric(float64(c.n), "compressed-B")
			})
		}
	}
}
