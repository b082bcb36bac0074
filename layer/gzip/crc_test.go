package gzip

import (
	"hash/crc32"
	"testing"
)

func TestCRC32Combine(t *testing.T) {
	data := randomBytes(1<<16+77, 1)
	for _, split := range []int{0, 1, 3, 4096, 1 << 15, len(data) - 1, len(data)} {
		a, b := data[:split], data[split:]
		got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), uint64(len(b)))
		if want := crc32.ChecksumIEEE(data); got != want {
			t.Errorf("split at %d: got %08x, want %08x", split, got, want)
		}
	}
}

func TestXPow8n(t *testing.T) {
	// x^(8(a+b)) = x^(8a)·x^(8b), also for lengths beyond 4 GiB.
	for _, c := range [][2]uint64{{0, 0}, {1, 1}, {1 << 20, 12345}, {1<<32 + 5, 1<<33 - 1}, {1<<63 - 1, 1}} {
		got := xPow8n(c[0] + c[1])
		if want := mulMod(xPow8n(c[0]), xPow8n(c[1])); got != want {
			t.Errorf("xPow8n(%d+%d) = %08x, want %08x", c[0], c[1], got, want)
		}
	}
	// Shifting past a byte of zeros is what CRC's table-free update does.
	if got, want := xPow8n(1), mulMod(xPow2k[3], one); got != want {
		t.Errorf("xPow8n(1) = %08x, want %08x", got, want)
	}
}
