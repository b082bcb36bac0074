// Command windowsim predicts how layer/gzip's parallel writer scales with
// cores, and how that depends on its window: the number of blocks that may
// be compressing or waiting to be written in input order (blocks+1 today).
// A block that compresses slowly holds up the output, and with it every
// block after it once the window is full, while CPUs go idle; a deeper
// window lets them run on. For a 16-core prediction on a machine with two.
//
//	cd bench && go run ./cmd/windowsim [-in FILE] [-level 2]
//
// It times each 1 MiB block of the input (the static cmd/compile binary
// that the benchmarks use, by default) compressed on its own as the writer
// does it (klauspost/compress/flate, primed with the 32 KiB before it),
// then replays those times on P simulated CPUs: blocks are filled in order
// by one producer (at the measured speed of copying them), dispatched when
// the window has room, run on the first free CPU, and written in order. It
// prints the predicted speedup over one CPU for each P and window. The
// model leaves out the Go scheduler, caches and memory bandwidth, so it
// bounds what a machine can show from above; it is a guide to what to
// measure (bench/scaling.sh), not a measurement.
package main

import (
	"bytes"
	"container/heap"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/klauspost/compress/flate"
	mgzip "github.com/minimage/minimage/layer/gzip"
)

const (
	// blockSize is the writer's block size.
	blockSize = mgzip.DefaultBlockSize
	// dictSize is deflate's window, the dictionary each block starts with.
	dictSize = 32 << 10
)

func main() {
	in := flag.String("in", filepath.Join(os.TempDir(), "minimage-bench-"+runtime.Version(), "compile"), "input `FILE` (the benchmarks' binary input, built by their first run)")
	level := flag.Int("level", 2, "compression level")
	rounds := flag.Int("rounds", 3, "time each block this many times and keep the fastest")
	flag.Parse()
	log.SetFlags(0)
	data, err := os.ReadFile(*in)
	if err != nil {
		log.Fatalf("%v (run cd bench && go test -run '^$' -bench Scaling -benchtime 1x first, or give -in)", err)
	}
	costs, fill := blockCosts(data, *level, *rounds)
	var serial time.Duration
	for _, c := range costs {
		serial += c
	}
	fmt.Printf("%s: %d blocks of 1 MiB at level %d; one CPU: %v (%.0f MB/s); a block takes %v to %v; filling one %v\n",
		filepath.Base(*in), len(costs), *level, serial.Round(time.Millisecond), float64(len(data))/serial.Seconds()/1e6,
		minDur(costs), maxDur(costs), fill)
	fmt.Printf("%4s  %-22s %-22s %-22s\n", "CPUs", "window blocks+1", "window 2×blocks", "window 4×blocks")
	for _, p := range []int{1, 2, 4, 8, 16, 32} {
		fmt.Printf("%4d ", p)
		for _, w := range []int{p + 1, 2 * p, 4 * p} {
			t := simulate(costs, fill, p, w)
			fmt.Printf(" %3d: %6.2fx            ", w, float64(serial+time.Duration(len(costs))*fill)/float64(t))
		}
		fmt.Println()
	}
}

// blockCosts times the compression of each block with its dictionary, the
// fastest of rounds, and the time to copy one block (the producer's work).
func blockCosts(data []byte, level, rounds int) ([]time.Duration, time.Duration) {
	fw, err := flate.NewWriter(nil, level)
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	var costs []time.Duration
	for off := 0; off < len(data); off += blockSize {
		end := min(off+blockSize, len(data))
		dict := data[max(0, off-dictSize):off]
		best := time.Duration(1 << 62)
		for range rounds {
			out.Reset()
			t := time.Now()
			fw.ResetDict(&out, dict)
			fw.Write(data[off:end])
			fw.Flush()
			best = min(best, time.Since(t))
		}
		costs = append(costs, best)
	}
	buf := make([]byte, blockSize)
	t := time.Now()
	for off := 0; off+blockSize <= len(data); off += blockSize {
		copy(buf, data[off:off+blockSize])
	}
	fill := time.Since(t) / time.Duration(max(1, len(data)/blockSize))
	return costs, fill
}

// simulate returns the time to compress and write the blocks on p CPUs
// with a window of w blocks: block k is dispatched once it is filled and
// block k-w has been written, starts on the first free CPU, and is written
// when it and every block before it are done.
func simulate(costs []time.Duration, fill time.Duration, p, w int) time.Duration {
	free := make(cpus, p) // when each CPU is next free
	heap.Init(&free)
	written := make([]time.Duration, len(costs))
	var ready time.Duration // when the producer has filled the next block
	for k, c := range costs {
		ready += fill
		if k >= w {
			ready = max(ready, written[k-w])
		}
		start := max(free[0], ready)
		free[0] = start + c
		heap.Fix(&free, 0)
		written[k] = start + c
		if k > 0 {
			written[k] = max(written[k], written[k-1])
		}
	}
	return written[len(written)-1]
}

// cpus is a min-heap of the times at which CPUs are free.
type cpus []time.Duration

func (c cpus) Len() int           { return len(c) }
func (c cpus) Less(i, j int) bool { return c[i] < c[j] }
func (c cpus) Swap(i, j int)      { c[i], c[j] = c[j], c[i] }
func (c *cpus) Push(x any)        { *c = append(*c, x.(time.Duration)) }
func (c *cpus) Pop() any {
	old := *c
	x := old[len(old)-1]
	*c = old[:len(old)-1]
	return x
}

func minDur(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m.Round(10 * time.Microsecond)
}

func maxDur(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = max(m, d)
	}
	return m.Round(10 * time.Microsecond)
}
