package layer

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
)

// patternReader yields n bytes of a repeating text-like pattern without
// holding them: the input of the memory tests costs no memory itself.
type patternReader struct {
	pattern []byte
	off, n  int64
}

func newPatternReader(n int64) *patternReader {
	return &patternReader{pattern: textData(1<<20+17, 5), n: n}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	if rem := r.n - r.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	total := 0
	for total < len(p) {
		k := copy(p[total:], r.pattern[(r.off+int64(total))%int64(len(r.pattern)):])
		total += k
	}
	r.off += int64(total)
	return total, nil
}

// TestMemoryBounded builds a layer from a reader much larger than the
// heap it is allowed: the tar stream is never held and the blob spills to
// disk past the threshold.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 512 MiB layer")
	}
	size := int64(512 << 20)
	if raceEnabled {
		size = 96 << 20
	}
	const limit = 64 << 20
	var l *Layer
	peak := testenv.PeakHeap(func() {
		b := New(Options{Format: Format{Level: 1}, SpillDir: t.TempDir()})
		if err := b.AddReader("/big", newPatternReader(size), size, Attr{}); err != nil {
			t.Fatal(err)
		}
		var err error
		if l, err = b.Build(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("input %d MiB, blob %d MiB, peak live heap %.1f MiB", size>>20, l.Size()>>20, float64(peak)/(1<<20))
	if peak > limit {
		t.Errorf("peak live heap %d MiB building a %d MiB layer; want under %d MiB", peak>>20, size>>20, limit>>20)
	}
}

// BenchmarkBuild1GiB reports the throughput and peak live heap of building
// a 1 GiB layer from a reader, at the default settings.
func BenchmarkBuild1GiB(b *testing.B) {
	const size = 1 << 30
	b.SetBytes(size)
	var peak uint64
	for range b.N {
		peak = max(peak, testenv.PeakHeap(func() {
			bl := New(Options{SpillDir: b.TempDir()})
			bl.AddReader("/big", newPatternReader(size), size, Attr{})
			if _, err := bl.Build(context.Background()); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkSpillThreshold builds layers whose blobs fall on either side
// of the spill thresholds, with each threshold, reporting throughput and
// peak live heap: what the default threshold trades.
//
//	go test ./layer -run '^$' -bench SpillThreshold -count 6
func BenchmarkSpillThreshold(b *testing.B) {
	for _, mib := range []int{8, 24, 64} {
		// Half incompressible, half text: the blob is about 5/8 of the input.
		data := append(randomData(mib<<19, 1), textData(mib<<19, 2)...)
		for _, threshold := range []int64{4 << 20, 32 << 20} {
			b.Run(fmt.Sprintf("input=%dMiB/threshold=%dMiB", mib, threshold>>20), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				dir := b.TempDir()
				var peak uint64
				var blob int64
				for range b.N {
					peak = max(peak, testenv.PeakHeap(func() {
						bl := New(Options{SpillThreshold: threshold, SpillDir: dir})
						bl.AddFile("/data", data, Attr{})
						l, err := bl.Build(context.Background())
						if err != nil {
							b.Fatal(err)
						}
						blob = l.Size()
						l.Release()
					}))
				}
				b.ReportMetric(float64(blob)/(1<<20), "blob-MiB")
				// The input is live throughout; what the build adds is the
				// peak over it.
				b.ReportMetric(float64(peak-min(peak, liveHeap()))/(1<<20), "build-heap-MiB")
			})
		}
	}
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
