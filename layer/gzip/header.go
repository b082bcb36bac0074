package gzip

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Fixed bytes of a gzip member (RFC 1952).
const (
	gzipID1     = 0x1f
	gzipID2     = 0x8b
	gzipDeflate = 8

	flagExtra   = 1 << 2
	flagName    = 1 << 3
	flagComment = 1 << 4

	// osUnknown is the OS byte a Writer writes unless Header.OS is set.
	osUnknown = 255
)

// appendHeader appends the gzip member header for h to dst. level only sets
// the XFL byte, as compress/gzip does.
func appendHeader(dst []byte, h *Header, level int) ([]byte, error) {
	var flags byte
	if h.Extra != nil {
		if len(h.Extra) > 0xffff {
			return dst, fmt.Errorf("gzip: Header.Extra is %d bytes; gzip allows at most 65535", len(h.Extra))
		}
		flags |= flagExtra
	}
	if h.Name != "" {
		flags |= flagName
	}
	if h.Comment != "" {
		flags |= flagComment
	}
	var mtime uint32
	// MTIME 0 means "no time"; times before 1970 cannot be represented.
	if h.ModTime.After(time.Unix(0, 0)) {
		mtime = uint32(h.ModTime.Unix())
	}
	var xfl byte
	switch level {
	case BestCompression:
		xfl = 2
	case BestSpeed:
		xfl = 4
	}
	dst = append(dst, gzipID1, gzipID2, gzipDeflate, flags)
	dst = binary.LittleEndian.AppendUint32(dst, mtime)
	dst = append(dst, xfl, h.OS)
	if h.Extra != nil {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(h.Extra)))
		dst = append(dst, h.Extra...)
	}
	var err error
	if h.Name != "" {
		if dst, err = appendLatin1(dst, "Name", h.Name); err != nil {
			return dst, err
		}
	}
	if h.Comment != "" {
		if dst, err = appendLatin1(dst, "Comment", h.Comment); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendLatin1 appends s as a NUL-terminated ISO 8859-1 string, the only
// encoding gzip headers allow.
func appendLatin1(dst []byte, field, s string) ([]byte, error) {
	for _, r := range s {
		if r == 0 || r > 0xff {
			return dst, fmt.Errorf("gzip: Header.%s %q holds %U; gzip stores it as NUL-terminated Latin-1, so use only U+0001 to U+00FF", field, s, r)
		}
		dst = append(dst, byte(r))
	}
	return append(dst, 0), nil
}

// appendTrailer appends the gzip member trailer: the CRC-32 and the size
// modulo 2^32 of the uncompressed data.
func appendTrailer(dst []byte, crc uint32, size uint64) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	return binary.LittleEndian.AppendUint32(dst, uint32(size))
}
