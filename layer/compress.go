package layer

import (
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
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
	return gzip.NewWriterLevel(w, level)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
