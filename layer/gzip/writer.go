package gzip

import (
	stdgzip "compress/gzip"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/flate"
)

// Header is the gzip file header. It is compress/gzip's Header, so values
// move freely between the two packages. A Writer writes Name, Comment, Extra,
// ModTime and OS as compress/gzip does, with the same defaults: no name, no
// comment, no time and OS 255 ("unknown").
type Header = stdgzip.Header

// Compression levels, as in compress/gzip. Any level from HuffmanOnly to
// BestCompression is valid.
const (
	// NoCompression stores the input in stored deflate blocks.
	NoCompression = flate.NoCompression
	// BestSpeed is the fastest level that looks for matches.
	BestSpeed = flate.BestSpeed
	// BestCompression gives the smallest output and is the slowest.
	BestCompression = flate.BestCompression
	// DefaultCompression selects klauspost/compress/flate's default, which is
	// level 5 (compress/gzip's default is level 6). The header's XFL byte is
	// written as for level 5.
	DefaultCompression = flate.DefaultCompression
	// HuffmanOnly skips match searching and only entropy-codes the input:
	// very fast, useful for data an LZ compressor has already been through.
	HuffmanOnly = flate.HuffmanOnly
	// ConstantCompression is HuffmanOnly, under the name klauspost/pgzip
	// uses, so code written for pgzip compiles unchanged.
	ConstantCompression = HuffmanOnly
)

// Block sizes, in bytes, that SetConcurrency takes.
const (
	// DefaultBlockSize is the block size of a new Writer: 1 MiB.
	DefaultBlockSize = 1 << 20
	// MinBlockSize is the smallest block size: 32 KiB, the deflate window.
	MinBlockSize = dictSize
	// MaxBlockSize is the largest block size: 1 GiB.
	MaxBlockSize = 1 << 30
)

const (
	// minWrite is the smallest chunk a Writer hands to the underlying
	// writer, except to complete a Flush or Close.
	minWrite = 64 << 10
)

var errClosed = errors.New("gzip: write to a closed Writer; call Reset to start a new stream")

// A Writer is an io.WriteCloser that compresses what is written to it into
// one gzip member written to an underlying io.Writer, compressing several
// blocks of input in parallel. See the package documentation for the block
// scheme and for what the output depends on.
//
// Output is buffered: it reaches the underlying writer in chunks of at least
// 64 KiB, in full only after Flush or Close. The first error the underlying
// writer returns is kept and returned by every later call.
//
// The zero Writer, made ready with Reset, is like compress/gzip's: it
// compresses at level 0 (NoCompression), in blocks of DefaultBlockSize
// compressed GOMAXPROCS at a time. Writers made by NewWriterLevel keep their
// level across Reset, so a sync.Pool of Writers is best filled by it.
//
// A Writer is not safe for concurrent use: call its methods from one
// goroutine at a time.
type Writer struct {
	// Header is written at the start of the stream. Set its fields before
	// the first Write, ReadFrom, Flush or Close; changes after that are
	// ignored. A new or Reset Writer has a zero Header but for OS = 255.
	Header

	w         io.Writer
	level     int
	blockSize int
	blocks    int

	started bool  // the header is in pending and cur is set
	closed  bool  // Close has finished
	err     error // first error; every later call returns it

	cur     *block   // the block being filled
	queue   []*block // blocks being compressed, in input order
	free    []*block // blocks ready for reuse
	pending []byte   // output waiting to make up a large write
	crc     uint32   // CRC-32 of the input written out so far
	size    uint64   // bytes of input written out so far
}

// NewWriter returns a Writer that writes a gzip stream to w at
// DefaultCompression, in blocks of DefaultBlockSize bytes compressed
// runtime.GOMAXPROCS(0) at a time (see SetConcurrency).
//
// The caller must call Close to finish the stream; the Writer does not close w.
func NewWriter(w io.Writer) *Writer {
	z, _ := NewWriterLevel(w, DefaultCompression)
	return z
}

// NewWriterLevel is like NewWriter but compresses at the given level, which
// must be from HuffmanOnly (-2) to BestCompression (9). The error is non-nil
// only for a level out of range.
func NewWriterLevel(w io.Writer, level int) (*Writer, error) {
	if level < HuffmanOnly || level > BestCompression {
		return nil, fmt.Errorf("gzip: invalid compression level %d: use -2 (HuffmanOnly), -1 (DefaultCompression), 0 (NoCompression) or 1 (BestSpeed) to 9 (BestCompression)", level)
	}
	return &Writer{
		Header:    Header{OS: osUnknown},
		w:         w,
		level:     level,
		blockSize: DefaultBlockSize,
		blocks:    runtime.GOMAXPROCS(0),
	}, nil
}

// SetConcurrency sets the block size in bytes, from 32 KiB to 1 GiB (default
// 1 MiB), and the number of blocks compressed in parallel (default
// GOMAXPROCS when the Writer was made), as klauspost/pgzip's SetConcurrency
// does. The block size is part of what the output depends on; the number of
// blocks is not. With blocks = 1 each block is compressed on the caller's
// goroutine. With blocks > 1, up to blocks+1 blocks are compressing or waiting
// to be written, and memory is about (blocks+2) × 2 × blockSize; see the
// package documentation.
//
// Call it before the first Write, ReadFrom, Flush or Close of a stream. The
// settings are kept across Reset.
func (z *Writer) SetConcurrency(blockSize, blocks int) error {
	if blockSize < MinBlockSize || blockSize > MaxBlockSize {
		return fmt.Errorf("gzip: block size %d bytes is out of range: use %d (32 KiB) to %d (1 GiB); the default is %d (1 MiB)", blockSize, MinBlockSize, MaxBlockSize, DefaultBlockSize)
	}
	if blocks < 1 {
		return fmt.Errorf("gzip: %d blocks is too few: use 1 (compress on the calling goroutine) or more (blocks compressed in parallel); the default is GOMAXPROCS", blocks)
	}
	if blockSize == z.blockSize && blocks == z.blocks {
		return nil
	}
	if z.started {
		return errors.New("gzip: SetConcurrency after the stream started: call it before the first Write, ReadFrom, Flush or Close, or after Reset")
	}
	z.blockSize, z.blocks = blockSize, blocks
	return nil
}

// Write compresses p and returns len(p), unless the underlying writer failed,
// now or earlier. p is copied; the caller may reuse it when Write returns.
// Output reaches the underlying writer when blocks are done, not
// necessarily before Flush or Close.
func (z *Writer) Write(p []byte) (int, error) {
	if err := z.begin(); err != nil {
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		b := z.cur
		k := copy(b.in[len(b.in):cap(b.in)], p)
		b.in = b.in[:len(b.in)+k]
		n, p = n+k, p[k:]
		if b.full() {
			if err := z.dispatch(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// ReadFrom compresses what it reads from r until io.EOF, reading straight
// into the Writer's blocks, which saves the copy that Write makes. It
// returns the number of bytes read. An error from r is returned but does not
// stop the Writer: the stream can go on or be closed. io.Copy uses ReadFrom
// when r does not implement io.WriterTo.
func (z *Writer) ReadFrom(r io.Reader) (int64, error) {
	if err := z.begin(); err != nil {
		return 0, err
	}
	var total int64
	for {
		b := z.cur
		n, err := r.Read(b.in[len(b.in):cap(b.in)])
		b.in = b.in[:len(b.in)+n]
		total += int64(n)
		if b.full() {
			if err := z.dispatch(false); err != nil {
				return total, err
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Flush compresses the data written since the last block boundary as a short
// block ending in a sync marker, waits for all blocks, and writes everything
// to the underlying writer, the header included. A reader of the output can
// then decompress all input written so far.
//
// Flush changes the output: the next block starts where Flush was called
// instead of at the next multiple of the block size (it still sees the
// previous 32 KiB as its dictionary). Flush with no data since the last block
// boundary adds nothing to the stream. Frequent flushes cost compression ratio
// and parallelism. Flush after Close returns nil.
func (z *Writer) Flush() error {
	if z.closed && z.err == nil {
		return nil
	}
	if err := z.begin(); err != nil {
		return err
	}
	if len(z.cur.data()) > 0 {
		z.cur.flush = true
		if err := z.dispatch(false); err != nil {
			return err
		}
	}
	return z.drain()
}

// Close compresses what is left, writes the gzip trailer and everything
// pending to the underlying writer, which it does not close, and releases the
// Writer's buffers. Calling Close again returns nil, or the error that ended
// the stream. Call Reset to write another stream.
func (z *Writer) Close() error {
	if z.closed || z.err != nil {
		return z.err
	}
	if err := z.begin(); err != nil {
		return err
	}
	z.cur.last, z.cur.flush = true, true
	if err := z.dispatch(true); err != nil {
		return err
	}
	if err := z.drain(); err != nil {
		return err
	}
	z.closed = true
	z.release()
	return nil
}

// Reset discards the Writer's state, waiting for blocks still compressing,
// and makes it equal to a new Writer with the same level and concurrency
// settings writing to w. It reuses the buffers it can. On a zero Writer it
// sets the defaults described on Writer.
func (z *Writer) Reset(w io.Writer) {
	z.release()
	*z = Writer{
		Header:    Header{OS: osUnknown},
		w:         w,
		level:     z.level,
		blockSize: z.blockSize,
		blocks:    z.blocks,
		queue:     z.queue[:0],
		free:      z.free[:0],
		pending:   z.pending[:0],
	}
	z.setDefaults()
}

// setDefaults gives a zero Writer's unset concurrency settings their
// defaults; a block size of 0 would never fill a block past its dictionary.
func (z *Writer) setDefaults() {
	if z.blockSize == 0 {
		z.blockSize = DefaultBlockSize
	}
	if z.blocks == 0 {
		z.blocks = runtime.GOMAXPROCS(0)
	}
}

// begin returns the sticky error, or starts the stream: it encodes the header
// and gets the first block.
func (z *Writer) begin() error {
	if z.err != nil {
		return z.err
	}
	if z.closed {
		return errClosed
	}
	if z.started {
		return nil
	}
	z.setDefaults()
	if cap(z.pending) < 2*minWrite {
		// Room for a chunk just under minWrite plus one that completes it;
		// see output.
		z.pending = make([]byte, 0, 2*minWrite)
	}
	hdr, err := appendHeader(z.pending[:0], &z.Header, z.level)
	if err != nil {
		z.err = err
		return err
	}
	z.pending, z.started = hdr, true
	z.cur = z.newBlock()
	return nil
}

// newBlock returns a block to fill: a free one, or one from the pools.
func (z *Writer) newBlock() *block {
	if n := len(z.free); n > 0 {
		b := z.free[n-1]
		z.free[n-1] = nil
		z.free = z.free[:n-1]
		return b
	}
	return getBlock(z.blockSize, z.level)
}
