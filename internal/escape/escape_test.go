package escape

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text: ok", "plain text: ok"},
		{"héllo wörld", "héllo wörld"},
		{"\x1b[2Jcleared", `\x1b[2Jcleared`},
		{"\x1b]0;title\x07", `\x1b]0;title\a`},
		{"line\r\nforged", `line\r\nforged`},
		{"tab\there", `tab\there`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"bad \xff byte", `bad \xff byte`},
		{"\x9b2J", `\x9b2J`},
		{"\u009b2J", `\u009b2J`},
		{"del\x7f", `del\x7f`},
	} {
		got := String(tc.in)
		if got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if Needed(got) {
			t.Errorf("String(%q) = %q still needs escaping", tc.in, got)
		}
		if Needed(tc.in) != (tc.in != tc.want) {
			t.Errorf("Needed(%q) = %v", tc.in, Needed(tc.in))
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "a", "\x1b[2J", "\r\n", "\u202e", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		if Needed(got) {
			t.Fatalf("String(%q) = %q still needs escaping", s, got)
		}
		if strings.ContainsAny(got, "\x1b\r\n\x07") {
			t.Fatalf("String(%q) = %q holds a control byte", s, got)
		}
	})
}
