package layer

import (
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/zstd"
	"github.com/minimage/minimage/layer/gzip"
)

// newCompressor returns the writer that compresses into w. Its Close
// flushes the stream's end to w; it must be called on every path, success
// or failure, so that no goroutine is left behind.
func newCompressor(w io.Writer, o Options, level int) (io.WriteCloser, error) {
	switch o.Compression {
	case Zstd:
		// One encoder goroutine: the frame bytes then depend only on the
		// input and level.
		return zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.EncoderLevel(level)),
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderCRC(true),
			zstd.WithZeroFrames(true))
	case Uncompressed:
		return nopCloser{w}, nil
	}
	zw, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, err
	}
	// Validate has checked both against the writer's ranges.
	if o.BlockSize != 0 || o.Blocks != 0 {
		bs, blocks := o.BlockSize, o.Blocks
		if bs == 0 {
			bs = gzip.DefaultBlockSize
		}
		if blocks == 0 {
			blocks = runtime.GOMAXPROCS(0)
		}
		if err := zw.SetConcurrency(bs, blocks); err != nil {
			return nil, fmt.Errorf("layer: %w", err)
		}
	}
	return zw, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
