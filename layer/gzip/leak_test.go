package gzip

import (
	"io"
	"runtime"
	"testing"
	"time"
)

// settleGoroutines waits briefly for the goroutine count to come back to
// want, as goroutines that have signalled completion may still be exiting.
func settleGoroutines(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%s: %d goroutines, want %d:\n%s", what, runtime.NumGoroutine(), want, buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNoGoroutineLeft(t *testing.T) {
	data := testInput(1<<20, 10)
	base := runtime.NumGoroutine()
	for _, blocks := range []int{1, 2, 8} {
		// After Close.
		z, _ := NewWriterLevel(io.Discard, 1)
		z.SetConcurrency(MinBlockSize, blocks)
		z.Write(data)
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		settleGoroutines(t, base, "after Close")

		// After Reset in the middle of a stream.
		z.Reset(io.Discard)
		z.Write(data)
		z.Reset(io.Discard)
		settleGoroutines(t, base, "after Reset")

		// After the underlying writer fails, in Write or in Close.
		for _, failAt := range []int{0, 2, 3} {
			z.Reset(&failingWriter{n: failAt})
			var err error
			for p := data; len(p) > 0 && err == nil; p = p[min(len(p), 50000):] {
				_, err = z.Write(p[:min(len(p), 50000)])
			}
			if err == nil {
				err = z.Close()
			}
			if err == nil {
				t.Fatalf("blocks %d: writing %d bytes to a writer that fails at write %d did not fail", blocks, len(data), failAt)
			}
			settleGoroutines(t, base, "after a write error")
		}
	}
}
