// Package escape makes text that others wrote safe to print on a
// terminal: a registry's error message, a file name from a layer.
package escape

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Needed reports whether s holds something a terminal would not show as
// plain text: invalid UTF-8, a control byte (ESC, \r, \n, \t, DEL), or
// another non-printing or format rune such as a bidi override.
func Needed(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// String returns s with each byte or rune that Needed objects to written
// as its Go escape (\x1b, \r, \u202e, \xff for a byte of invalid UTF-8),
// and printable text as it is. The result is one line that cannot move
// the cursor, clear the screen or set a window title.
func String(s string) string {
	if !Needed(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unicode.IsPrint(r):
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}
