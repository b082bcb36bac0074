package gzip

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
	const blockSize = MinBlockSize
	data := testInput(300<<10+3, 8) // ten blocks, the last one short
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
var goldens = map[int]string{
	-2: "bcb05f48d3f1a8ba29e93f8549c49417f0894d2547c7c90f58634d822941132e",
	-1: "b82c626fd7980a47cf62ccb27e1dffd92c94ca9fbd7d1747e98f59b7de03a264",
	0:  "f26f65efe30b3d24876d940e20ff3f51033863178a7e9094b3d390c0ed84370f",
	1:  "0c88fe2694555a60884026238f1a00dab1cdc865474fc224ba366ad39c554a03",
	2:  "b71b03d1df3626e357a96fca02891639b776afadd26a2f07b76da6a8d536c4c7",
	3:  "c6083b83196f8187b4d347d3d6a30e3e3b004a64883a2be2d8c223b2b8765ebc",
	4:  "7875d6da888b9a62c5f3e1d408a11463a7e2933bcead50543f04457e04a3e01a",
	5:  "b82c626fd7980a47cf62ccb27e1dffd92c94ca9fbd7d1747e98f59b7de03a264",
	6:  "141e7aa9de327b12ba6642fa0c90db2f44e14faaa21156acc845a3c7b214a0de",
	7:  "5a072a9840ad420a1bd54f7b6f0833871623a4daad3b7fa11fa59850a8a525a5",
	8:  "7f3eb14cdd4946018347b48052f640716f8ff234e8506a6159066eaf1abd155f",
	9:  "08f40748fcc25128903fec15ff1377d1108832ab0bc8e864ce8a8a19bd05788b",
}

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
		}
		if !bytes.Equal(gunzip(t, z), data) {
			t.Fatalf("level %d: round trip failed", level)
		}
	}
}
