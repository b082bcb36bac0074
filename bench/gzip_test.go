package bench

import (
	stdgzip "compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"
	mgzip "github.com/minimage/minimage/layer/gzip"
)

// chunk is the size of the Writes that feed every implementation, the order
// of what archive/tar and io.Copy hand a compressor in the layer pipeline.
const chunk = 64 << 10

// blockSize is the block size of the parallel implementations.
const blockSize = mgzip.DefaultBlockSize

// A gzipWriter is what all the implementations have in common.
type gzipWriter interface {
	io.WriteCloser
	Reset(io.Writer)
}

// An impl makes a gzip writer at a level, and resets it for a new stream.
type impl struct {
	name  string
	new   func(level int) gzipWriter
	reset func(w gzipWriter, dst io.Writer)
}

func plainReset(w gzipWriter, dst io.Writer) { w.Reset(dst) }

var impls = []impl{
	{"minimage", func(level int) gzipWriter {
		z, _ := mgzip.NewWriterLevel(io.Discard, level)
		if err := z.SetConcurrency(blockSize, runtime.GOMAXPROCS(0)); err != nil {
			panic(err)
		}
		return z
	}, plainReset},
	// The same block scheme on the caller's goroutine alone, against
	// klauspost's single-threaded writer.
	{"minimage-serial", func(level int) gzipWriter {
		z, _ := mgzip.NewWriterLevel(io.Discard, level)
		if err := z.SetConcurrency(blockSize, 1); err != nil {
			panic(err)
		}
		return z
	}, plainReset},
	{"pgzip", func(level int) gzipWriter {
		z, _ := pgzip.NewWriterLevel(io.Discard, level)
		if err := z.SetConcurrency(blockSize, runtime.GOMAXPROCS(0)); err != nil {
			panic(err)
		}
		return z
	}, func(w gzipWriter, dst io.Writer) {
		// pgzip's Reset goes back to its default concurrency.
		w.Reset(dst)
		w.(*pgzip.Writer).SetConcurrency(blockSize, runtime.GOMAXPROCS(0))
	}},
	{"klauspost", func(level int) gzipWriter {
		z, _ := kgzip.NewWriterLevel(io.Discard, level)
		return z
	}, plainReset},
	{"stdlib", func(level int) gzipWriter {
		z, _ := stdgzip.NewWriterLevel(io.Discard, level)
		return z
	}, plainReset},
}

// counter is an io.Writer that counts what it is given.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// feed writes data to w in chunks and closes w.
func feed(tb testing.TB, w io.Writer, c io.Closer, data []byte) {
	for p := data; len(p) > 0; p = p[min(chunk, len(p)):] {
		if _, err := w.Write(p[:min(chunk, len(p))]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkGzip compresses each input with each implementation at levels 1
// and 6. Compare implementations with: benchstat -col /impl.
// compressed-B is the size of the output.
func BenchmarkGzip(b *testing.B) {
	for _, in := range inputs(b) {
		for _, level := range []int{1, 6} {
			for _, im := range impls {
				name := fmt.Sprintf("input=%s/level=%d/impl=%s", in.name, level, im.name)
				b.Run(name, func(b *testing.B) {
					w := im.new(level)
					var c counter
					b.SetBytes(int64(len(in.data)))
					for b.Loop() {
						c.n = 0
						im.reset(w, &c)
						feed(b, w, w, in.data)
					}
					b.ReportMetric(float64(c.n), "compressed-B")
				})
			}
		}
	}
}

// BenchmarkHotPath compares compressing alone with what the layer pipeline
// does: SHA-256 of the input (the diffID) and of the output (the digest)
// next to compression. Compare with: benchstat -col /mode.
func BenchmarkHotPath(b *testing.B) {
	for _, in := range inputs(b)[:2] {
		for _, level := range []int{1, 6} {
			for _, mode := range []string{"compress", "compress+sha256"} {
				name := fmt.Sprintf("input=%s/level=%d/mode=%s", in.name, level, mode)
				b.Run(name, func(b *testing.B) {
					z, _ := mgzip.NewWriterLevel(io.Discard, level)
					z.SetConcurrency(blockSize, runtime.GOMAXPROCS(0))
					var c counter
					b.SetBytes(int64(len(in.data)))
					for b.Loop() {
						if mode == "compress" {
							z.Reset(&c)
							feed(b, z, z, in.data)
							continue
						}
						diffID, digest := sha256.New(), sha256.New()
						z.Reset(io.MultiWriter(digest, &c))
						feed(b, io.MultiWriter(diffID, z), z, in.data)
						diffID.Sum(nil)
						digest.Sum(nil)
					}
				})
			}
		}
	}
}
