package gzip

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"
)

// TestCompressorReuse checks what pooling compressors relies on: a block's
// output does not depend on what its compressor did before. The fast levels
// keep a running offset that wraps after about 2 GiB of use, rebasing their
// match tables; this drives a compressor through that wrap and compares each
// block with a fresh compressor's output.
func TestCompressorReuse(t *testing.T) {
	if testing.Short() || raceEnabled {
		// One goroutine only: the race detector has nothing to check.
		t.Skip("drives 2 GiB of offsets through each fast level; runs without -short and -race")
	}
	zeros := make([]byte, dictSize)
	data := testInput(dictSize+DefaultBlockSize, 9)
	for level := 1; level <= 6; level++ {
		t.Run(fmt.Sprint("level ", level), func(t *testing.T) {
			t.Parallel() // each level its own compressors; CPU only
			reuseThroughWrap(t, level, zeros, data)
		})
	}
}

// reuseThroughWrap drives one compressor of level through the offset
// wrap and compares its blocks with a fresh compressor's.
func reuseThroughWrap(t *testing.T, level int, zeros, data []byte) {
	used, _ := flate.NewWriter(nil, level)
	// Each empty block moves the offset by 64 KiB (the dictionary, and as
	// much again to put the old history out of reach), to about 17 MB
	// short of the wrap.
	for range 32500 {
		deflateBlock(used, zeros, nil)
	}
	// Blocks of 1 MiB move it by about 1.1 MiB each, partly in the middle
	// of a block, so the wrap happens both between and within blocks.
	for i := range 40 {
		fresh, _ := flate.NewWriter(nil, level)
		d := data[i*64:]
		want := deflateBlock(fresh, d[:dictSize], d[dictSize:])
		if got := deflateBlock(used, d[:dictSize], d[dictSize:]); !bytes.Equal(got, want) {
			t.Fatalf("level %d: block %d compresses differently on a reused compressor", level, i)
		}
	}
}

// deflateBlock compresses data primed with dict as block.compress does.
func deflateBlock(fw *flate.Writer, dict, data []byte) []byte {
	var out sink
	fw.ResetDict(&out, dict)
	fw.Write(data)
	fw.Flush()
	return out.buf
}

// capWriter fails once more than max bytes are written to it, so a Writer
// that produces output without end fails instead of filling memory.
type capWriter struct {
	buf bytes.Buffer
	max int
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.max {
		return 0, errors.New("output past its bound")
	}
	return w.buf.Write(p)
}

// TestZeroWriterReset checks the sync.Pool pattern that works with
// compress/gzip: a zero Writer made ready by Reset writes what
// compress/gzip's zero Writer writes, level 0 (NoCompression), with the
// default block size and header.
func TestZeroWriterReset(t *testing.T) {
	data := testInput(3*DefaultBlockSize/2+123, 4) // several blocks, well past 32 KiB
	want := compress(t, data, NoCompression, DefaultBlockSize, 2)

	var std bytes.Buffer
	var sw stdgzip.Writer
	sw.Reset(&std)
	sw.Write(data)
	sw.Close()
	stdHdr, err := stdgzip.NewReader(bytes.NewReader(std.Bytes()))
	if err != nil {
		t.Fatal(err)
	}

	pool := sync.Pool{New: func() any { return new(Writer) }}
	for round := range 2 { // the second round takes the Writer back from the pool
		out := &capWriter{max: 2 * len(data)}
		done := make(chan error, 1)
		go func() {
			z := pool.Get().(*Writer)
			z.Reset(out)
			_, err := z.Write(data)
			if err == nil {
				err = z.Close()
			}
			pool.Put(z)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: a zero Writer after Reset did not finish a %d-byte Write in 30 s", round, len(data))
		}
		if got := gunzip(t, out.buf.Bytes()); !bytes.Equal(got, data) {
			t.Fatalf("round %d: the stream does not decompress to its input", round)
		}
		if !bytes.Equal(out.buf.Bytes(), want) {
			t.Errorf("round %d: a zero Writer after Reset writes %d bytes, NewWriterLevel(w, NoCompression) %d; want the same bytes", round, out.buf.Len(), len(want))
		}
		zr, err := stdgzip.NewReader(bytes.NewReader(out.buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if zr.Header.OS != stdHdr.Header.OS || zr.Header.Name != stdHdr.Header.Name || !zr.Header.ModTime.Equal(stdHdr.Header.ModTime) {
			t.Errorf("round %d: header %+v, compress/gzip's zero Writer writes %+v", round, zr.Header, stdHdr.Header)
		}
	}
}
