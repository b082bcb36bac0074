package gzip

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"testing"
)

// writeIn compresses data, handing it to the Writer in writes of chunk bytes
// (0: all at once, -1: through ReadFrom).
func writeIn(t testing.TB, data []byte, level, blockSize, blocks, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	z, err := NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	if err := z.SetConcurrency(blockSize, blocks); err != nil {
		t.Fatal(err)
	}
	switch chunk {
	case 0:
		_, err = z.Write(data)
	case -1:
		_, err = z.ReadFrom(bytes.NewReader(data))
	default:
		for p := data; len(p) > 0 && err == nil; p = p[min(chunk, len(p)):] {
			_, err = z.Write(p[:min(chunk, len(p))])
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDeterminism checks that the bytes do not depend on GOMAXPROCS, the
// number of blocks in flight or how the input is split into writes.
func TestDeterminism(t *testing.T) {
	const blockSize = 64 << 10
	data := testInput(600<<10+3, 8) // ten blocks, the last one short
	for _, level := range []int{1, 6} {
		want := writeIn(t, data, level, blockSize, 1, 0)
		if !bytes.Equal(gunzip(t, want), data) {
			t.Fatalf("level %d: round trip failed", level)
		}
		for _, procs := range []int{1, 2, 8} {
			old := runtime.GOMAXPROCS(procs)
			for _, blocks := range []int{1, 2, 3, 16} {
				for _, chunk := range []int{1, 7, 4099, 65536, 0, -1} {
					if got := writeIn(t, data, level, blockSize, blocks, chunk); !bytes.Equal(got, want) {
						t.Errorf("level %d, GOMAXPROCS %d, blocks %d, writes of %d: output differs", level, procs, blocks, chunk)
					}
				}
			}
			runtime.GOMAXPROCS(old)
		}
	}
	// Every level, with compressors reused in another order.
	for _, level := range allLevels {
		want := writeIn(t, data, level, blockSize, 1, 0)
		if got := writeIn(t, data, level, blockSize, 16, 4099); !bytes.Equal(got, want) {
			t.Errorf("level %d: 16 blocks in flight give other bytes than 1", level)
		}
	}
}

// goldens pins the SHA-256 of the compressed golden input at each level with
// the default block size. They were produced once by this code and frozen: a
// change means every digest of every layer changes, a breaking change.
var goldens = map[int]string{}

// goldenInput is 3 MiB and a bit of text-like data with random bytes in the
// middle: four blocks of the default size.
func goldenInput() []byte { return testInput(3<<20+12345, 42) }

func TestGolden(t *testing.T) {
	data := goldenInput()
	for _, level := range allLevels {
		blocks := 1 + level&3 // varies; it must not matter
		z := writeIn(t, data, level, DefaultBlockSize, blocks, 0)
		sum := sha256.Sum256(z)
		got := hex.EncodeToString(sum[:])
		if want := goldens[level]; got != want {
			t.Errorf("level %d: sha256 %s (%d bytes), want %s", level, got, len(z), want)
			fmt.Printf("\t%d: %q,\n", level, got)
		}
		if !bytes.Equal(gunzip(t, z), data) {
			t.Fatalf("level %d: round trip failed", level)
		}
	}
}
