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

// A block is one unit of parallel work: a slice of the input, the 32 KiB of
// input before it, and the compressed result.
type block struct {
	// in holds the dictionary in[:dict] followed by the block's data.
	// Its capacity is dictSize+blockSize and it never grows.
	in   []byte
	dict int

	last  bool // ends the stream: compressed with the final-block bit
	flush bool // written out as soon as it is ready (Flush, Close)

	out sink          // compressed data; on the last block, also the trailer
	crc uint32        // CRC-32 of in[dict:]
	fw  *flate.Writer // compressor for the Writer's level, reused
	err error

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
	data := b.data()
	b.crc = crc32.ChecksumIEEE(data)
	b.fw.ResetDict(&b.out, b.in[:b.dict])
	if _, err := b.fw.Write(data); err != nil {
		b.err = err
		return
	}
	if b.last {
		b.err = b.fw.Close()
	} else {
		b.err = b.fw.Flush()
	}
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
	// blockPools maps a block size to a *sync.Pool of *block without a
	// compressor.
	blockPools sync.Map
	// flatePools[level-HuffmanOnly] holds *flate.Writer of that level.
	flatePools [BestCompression - HuffmanOnly + 1]sync.Pool
)

// getBlock returns an empty block of blockSize bytes with a compressor for
// level, from the pools when they hold one.
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
	b.in, b.dict = b.in[:0], 0
	b.last, b.flush, b.err = false, false, nil
	b.out.buf = b.out.buf[:0]
	fw, _ := flatePools[level-HuffmanOnly].Get().(*flate.Writer)
	if fw == nil {
		// The level was validated by NewWriterLevel.
		fw, _ = flate.NewWriter(nil, level)
	}
	b.fw = fw
	return b
}

// putBlock returns b, which no goroutine may be using, to the pools.
func putBlock(b *block, level int) {
	if b.fw != nil {
		// Drop the references ResetDict kept to b's buffers.
		b.fw.ResetDict(nil, nil)
		flatePools[level-HuffmanOnly].Put(b.fw)
		b.fw = nil
	}
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
