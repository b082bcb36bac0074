package gzip

import (
	"bytes"
	"testing"

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
}

// deflateBlock compresses data primed with dict as block.compress does.
func deflateBlock(fw *flate.Writer, dict, data []byte) []byte {
	var out sink
	fw.ResetDict(&out, dict)
	fw.Write(data)
	fw.Flush()
	return out.buf
}
