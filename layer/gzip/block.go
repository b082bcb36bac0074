package gzip

import (
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/flate"
)

// dictSize is how much preceding input primes each block: the whole deflate
// window, so no match is lost at a block boundary that a single-threaded
// compressor would have found within 32 KiB.
const dictSize = 32 << 10

// crcPiece is how much of a block is checksummed at a time before it is
// compressed: the size of the compressor's window for levels 0 to 6.
const crcPiece = 64 << 10

// A block is one unit of parallel work: a slice of the input, the 32 KiB of
// input before it, and the compressed result.
type block struct {
	// in holds the dictionary in[:dict] followed by the block's data.
	// Its capacity is dictSize+blockSize and it never grows.
	in   []byte
	dict int

	last  bool // ends the stream: compressed with the final-block bit
	flush bool // written out as soon as it is ready (Flush, Close)

	level int    // compression level
	out   sink   // compressed data; on the last block, also the trailer
	crc   uint32 // CRC-32 of in[dict:]
	err   error

	// done receives one value when compress, started on another goroutine,
	// has finished with the block.
	done chan struct{}
}

// data returns the part of the input the block compresses.
func (b *block) data() []byte { return b.in[b.dict:] }

// full reports whether the block holds blockSize bytes of data.
func (b *block) full() bool { return len(b.in) == cap(b.in) }

// primeFrom makes b an empty block whose dictionary is the last dictSize bytes
// of input that prev holds (its dictionary included, so a short block after a
// Flush still sees a full window). prev may be b itself.
func (b *block) primeFrom(prev *block) {
	tail := prev.in[max(0, len(prev.in)-dictSize):]
	n := copy(b.in[:cap(b.in)], tail)
	b.in, b.dict = b.in[:n], n
	b.last, b.flush, b.err = false, false, nil
}

// compress computes the block's CRC and appends its deflate stream to
// b.out. The stream is byte-aligned at the end: closed with the final-block
// bit if b.last, otherwise with a sync marker.
func (b *block) compress() {
	// A compressor is taken only for the time it works, from a pool that
	// hands a goroutine the one last used on its CPU, while its tables are
	// still in that CPU's cache. Its past does not change its output.
	pool := &flatePools[b.level-HuffmanOnly]
	fw, _ := pool.Get().(*flate.Writer)
	if fw == nil {
		// The level was validated by NewWriterLevel.
		fw, _ = flate.NewWriter(nil, b.level)
	}
	defer pool.Put(fw)
	fw.ResetDict(&b.out, b.in[:b.dict])
	b.crc = 0
	// Checksumming and compressing a piece at a time, while it is in the
	// CPU's cache, reads the block from memory once instead of twice. The
	// compressor's output does not depend on how its input is split.
	for p := b.data(); len(p) > 0; p = p[min(len(p), crcPiece):] {
		piece := p[:min(len(p), crcPiece)]
		b.crc = crc32.Update(b.crc, crc32.IEEETable, piece)
		if _, err := fw.Write(piece); err != nil {
			b.err = err
			return
		}
	}
	if b.last {
		b.err = fw.Close()
	} else {
		b.err = fw.Flush()
	}
	// Drop the references the compressor keeps to b's buffers.
	fw.ResetDict(nil, nil)
}

// run is compress for a goroutine of its own.
func (b *block) run() {
	b.compress()
	b.done <- struct{}{}
}

// A sink is an io.Writer that appends to a reusable buffer.
type sink struct{ buf []byte }

// Write appends p to s.buf. It never fails.
func (s *sink) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	return len(p), nil
}

var (
	// blockPools maps a block size to a *sync.Pool of *block.
	blockPools sync.Map
	// flatePools[level-HuffmanOnly] holds *flate.Writer of that level.
	flatePools [BestCompression - HuffmanOnly + 1]sync.Pool
)

// getBlock returns an empty block of blockSize bytes for level, from the
// pool when it holds one.
func getBlock(blockSize, level int) *block {
	b, _ := blockPool(blockSize).Get().(*block)
	if b == nil {
		b = &block{
			in: make([]byte, 0, dictSize+blockSize),
			// Stored blocks add 5 bytes per 64 KiB; the slack also holds
			// the sync marker and the trailer, and the compressor never
			// emits a block larger than the stored one.
			out:  sink{make([]byte, 0, blockSize+blockSize/64+64)},
			done: make(chan struct{}, 1),
		}
	}
	b.in, b.dict, b.level = b.in[:0], 0, level
	b.last, b.flush, b.err = false, false, nil
	b.out.buf = b.out.buf[:0]
	return b
}

// putBlock returns b, which no goroutine may be using, to the pool.
func putBlock(b *block) {
	blockPool(cap(b.in) - dictSize).Put(b)
}

// blockPool returns the pool of blocks of blockSize bytes.
func blockPool(blockSize int) *sync.Pool {
	p, ok := blockPools.Load(blockSize)
	if !ok {
		p, _ = blockPools.LoadOrStore(blockSize, new(sync.Pool))
	}
	return p.(*sync.Pool)
}
