package gzip

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// BenchmarkWriter measures throughput in MB/s of input and the bytes
// allocated per MiB of input (B/MiB) once the pools are warm: what a stream
// allocates beyond the buffers it reuses.
func BenchmarkWriter(b *testing.B) {
	inputs := []struct {
		name string
		data []byte
	}{
		{"text", testInput(16<<20, 1)},
		{"random", randomBytes(16<<20, 2)},
	}
	for _, in := range inputs {
		for _, level := range []int{1, 6} {
			for _, blocks := range []int{1, runtime.GOMAXPROCS(0)} {
				name := fmt.Sprintf("input=%s/level=%d/blocks=%d", in.name, level, blocks)
				b.Run(name, func(b *testing.B) {
					benchWriter(b, in.data, level, blocks)
				})
			}
		}
	}
}

func benchWriter(b *testing.B, data []byte, level, blocks int) {
	z, _ := NewWriterLevel(io.Discard, level)
	if err := z.SetConcurrency(DefaultBlockSize, blocks); err != nil {
		b.Fatal(err)
	}
	run := func() {
		z.Reset(io.Discard)
		if _, err := z.ReadFrom(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if err := z.Close(); err != nil {
			b.Fatal(err)
		}
	}
	run() // fills the pools, as any earlier stream in a process would
	b.SetBytes(int64(len(data)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		run()
	}
	runtime.ReadMemStats(&after)
	mib := float64(b.N) * float64(len(data)) / (1 << 20)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/mib, "B/MiB")
}
