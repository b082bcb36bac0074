package gzip

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// FuzzRoundTrip compresses fuzzed data with random write sizes, random
// flushes and every level, and checks that compress/gzip gives the input
// back and that the bytes do not depend on the number of blocks in flight.
//
// The input is chunk repeated up to repeat times (at most 160 KiB) with
// sparse changes, so that small fuzz inputs still span several 32 KiB blocks.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello, gzip"), uint16(1), int8(6), uint8(2), uint64(1))
	f.Add(testInput(5000, 1), uint16(40), int8(1), uint8(3), uint64(2))
	f.Add(randomBytes(3000, 3), uint16(50), int8(-2), uint8(1), uint64(3))
	f.Add([]byte{}, uint16(0), int8(0), uint8(4), uint64(4))
	f.Add([]byte("abcabcabd"), uint16(30000), int8(9), uint8(8), uint64(5))
	f.Add([]byte{0}, uint16(65535), int8(5), uint8(7), uint64(6))
	f.Fuzz(func(t *testing.T, chunk []byte, repeat uint16, level int8, blocks uint8, seed uint64) {
		const maxLen = 160 << 10
		lvl := (int(level)%12+12)%12 + HuffmanOnly
		var data []byte
		if len(chunk) > 0 {
			data = bytes.Repeat(chunk, min(int(repeat), maxLen/len(chunk)))
		}
		r := rand.New(rand.NewPCG(seed, 0))
		if len(data) > 0 {
			for range r.IntN(50) {
				data[r.IntN(len(data))] ^= byte(r.Uint32())
			}
		}
		// A script of writes, reads and flushes, replayed for each
		// number of blocks in flight.
		type op struct {
			n     int
			read  bool // through ReadFrom
			flush bool
		}
		var script []op
		flushes := 0
		for p := len(data); p > 0; {
			n := min(p, 1+r.IntN([]int{8, 1000, 70000, 300000}[r.IntN(4)]))
			// Each flush makes a block, and priming it costs 32 KiB of work.
			flush := flushes < 16 && r.IntN(8) == 0
			if flush {
				flushes++
			}
			script = append(script, op{n: n, read: r.IntN(4) == 0, flush: flush})
			p -= n
		}
		var outputs [][]byte
		for _, b := range []int{1, 2 + int(blocks)%7} {
			var buf bytes.Buffer
			z, err := NewWriterLevel(&buf, lvl)
			if err != nil {
				t.Fatal(err)
			}
			if err := z.SetConcurrency(MinBlockSize, b); err != nil {
				t.Fatal(err)
			}
			p := data
			for _, o := range script {
				if o.read {
					_, err = z.ReadFrom(bytes.NewReader(p[:o.n]))
				} else {
					_, err = z.Write(p[:o.n])
				}
				if err != nil {
					t.Fatal(err)
				}
				p = p[o.n:]
				if o.flush {
					if err := z.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := z.Close(); err != nil {
				t.Fatal(err)
			}
			if got := gunzip(t, buf.Bytes()); !bytes.Equal(got, data) {
				t.Fatalf("level %d, blocks %d: round trip of %d bytes gave %d other bytes", lvl, b, len(data), len(got))
			}
			outputs = append(outputs, buf.Bytes())
		}
		if !bytes.Equal(outputs[0], outputs[1]) {
			t.Fatalf("level %d: output with 1 block in flight differs from output with %d", lvl, 2+int(blocks)%7)
		}
	})
}
