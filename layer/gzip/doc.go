// Package gzip is a parallel, deterministic gzip writer and a drop-in
// replacement for the Writer of the standard library's compress/gzip: code
// switches by changing one import.
//
// # Block scheme
//
// Input is cut into blocks of a fixed size (1 MiB unless changed with
// [Writer.SetConcurrency]). Each block is compressed on its own with
// github.com/klauspost/compress/flate, primed with the 32 KiB of input that
// precede it as a preset dictionary, so matches can reach back across a block
// boundary just as they would in a single-threaded compressor. Every block
// but the last ends with a sync marker (an empty stored block), which leaves
// the deflate stream byte-aligned so the blocks concatenate; the last block
// carries the final-block bit. Several blocks are compressed at once, and
// their outputs are written in input order. Each block's CRC-32 is computed
// next to its compression and the CRCs are combined in order, so the whole
// input is read once. The result is one standard gzip member that
// compress/gzip, gzip -d and pigz -d accept.
//
// # Determinism
//
// The compressed bytes depend only on the input, the compression level, the
// block size, the [Header] fields the caller sets, where the caller calls
// [Writer.Flush], and the version of this module and of klauspost/compress.
// They do not depend on GOMAXPROCS, on the number of blocks in flight, on how
// the input is split across Write calls, on timing, or on the CPU
// architecture. As with compress/gzip, nothing is read from the host: the
// header holds no name, no comment and a modification time of 0 unless the
// caller sets them, and its OS byte is 255 ("unknown") unless the caller sets
// Header.OS. The one default that differs from compress/gzip's is the level
// DefaultCompression stands for (see its documentation).
//
// # Memory and concurrency
//
// With blocks = 1 (see [Writer.SetConcurrency]) each block is compressed on
// the caller's goroutine and no goroutine is started; the Writer holds one
// block. With blocks = n > 1, up to n+1 blocks are handed to goroutines of
// their own (compressing, or done and waiting for their turn to be written),
// as with klauspost/pgzip: the spare one keeps every CPU busy when a block
// finishes before an older one. With the block being filled, the Writer then
// holds at most n+2 blocks. A block takes about 2×blockSize + 32 KiB, and a
// block being compressed uses a compressor with up to 1.2 MiB of state; a
// Writer adds a 128 KiB output buffer. Blocks and compressors are reused from
// block to block and, through pools, from Writer to Writer, so a stream
// allocates next to nothing once they are warm.
//
// Every goroutine a Writer starts has finished when Flush, Close or Reset
// returns, and when a call returns an error from the underlying writer.
package gzip
