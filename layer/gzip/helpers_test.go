package gzip

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"math/rand/v2"
	"testing"
)

// testInput returns n bytes of text-like data with a run of random bytes of
// n/8 bytes in the middle, the same for the same n and seed on every
// platform and Go version: it uses only PCG's Uint64 stream, whose algorithm
// is fixed, not the derived methods of rand.Rand.
func testInput(n int, seed uint64) []byte {
	r := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	words := make([][]byte, 700)
	for i := range words {
		w := make([]byte, 2+r.Uint64()%9)
		for j := range w {
			w[j] = 'a' + byte(r.Uint64()%26)
		}
		words[i] = w
	}
	randFrom, randTo := n/2, n/2+n/8
	b := make([]byte, 0, n+16)
	for len(b) < n {
		if len(b) >= randFrom && len(b) < randTo {
			for range 64 {
				b = append(b, byte(r.Uint64()))
			}
			continue
		}
		// A skewed choice of words makes the text compress like prose.
		v := r.Uint64()
		w := words[(v%uint64(len(words)))*(v>>32%uint64(len(words)))/uint64(len(words))]
		b = append(b, w...)
		switch v >> 56 {
		case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9:
			b = append(b, ".\n"...)
		case 10, 11, 12, 13, 14, 15, 16:
			b = append(b, ", "...)
		default:
			b = append(b, ' ')
		}
	}
	return b[:n]
}

// randomBytes returns n bytes from PCG seeded with seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.NewPCG(seed, seed)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint64())
	}
	return b
}

// gunzip decompresses one gzip stream with compress/gzip, failing t if it is
// not exactly one valid member.
func gunzip(t testing.TB, z []byte) []byte {
	t.Helper()
	r, err := stdgzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("compress/gzip rejects the header: %v", err)
	}
	r.Multistream(false)
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("compress/gzip rejects the stream: %v", err)
	}
	return got
}

// compress compresses data with the given settings in one Write.
func compress(t testing.TB, data []byte, level, blockSize, blocks int) []byte {
	t.Helper()
	return writeIn(t, data, level, blockSize, blocks, 0)
}

// allLevels lists every valid level.
var allLevels = []int{HuffmanOnly, DefaultCompression, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
