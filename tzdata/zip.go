package tzdata

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"slices"
)

// writeZip returns a zip of the named zones in the form Go's time package
// reads from $ZONEINFO: entries stored, not compressed, sorted by name,
// with no times, extra fields or comment, so equal selections give equal
// bytes.
func writeZip(z *zones, names []string) ([]byte, error) {
	names = slices.Sorted(slices.Values(names))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		data := z.data[canonical(n)]
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               n,
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(data),
			CompressedSize64:   uint64(len(data)),
			UncompressedSize64: uint64(len(data)),
		})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
