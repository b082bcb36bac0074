package tzdata

import (
	"errors"
	"slices"
	"testing"
)

func TestSuggest(t *testing.T) {
	tests := []struct {
		in    string
		first string // "" for no suggestion
	}{
		{"europe/paris", "Europe/Paris"},
		{"EUROPE/PARIS", "Europe/Paris"},
		{"Europe/Pari", "Europe/Paris"},
		{"Europe/Parsi", "Europe/Paris"},
		{"Paris", "Europe/Paris"},
		{"paris", "Europe/Paris"},
		{"New York", "America/New_York"},
		{"Kolkata", "Asia/Kolkata"},
		{"us/eastern", "US/Eastern"},
		{"America/Buenos_Aries", "America/Buenos_Aires"},
		{"Mars/Olympus", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got := suggest(tc.in, load().names)
		if len(got) > maxSuggestions {
			t.Errorf("suggest(%q) gave %d names", tc.in, len(got))
		}
		first := ""
		if len(got) > 0 {
			first = got[0]
		}
		if first != tc.first {
			t.Errorf("suggest(%q) = %q, want %q first", tc.in, got, tc.first)
		}
	}
	_, err := Canonical("Europe/Pari")
	if !errors.Is(err, ErrUnknownZone) || err.Error() != `tzdata: unknown time zone "Europe/Pari"; did you mean "Europe/Paris"?` {
		t.Errorf("Canonical error: %v", err)
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"paris", "pari", 1}, {"kitten", "sitting", 3}, {"abc", "abc", 0}} {
		if d := distance(tc.a, tc.b); d != tc.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
	if got := quoteList([]string{"a", "b", "c"}); got != `"a", "b" or "c"` {
		t.Errorf("quoteList = %s", got)
	}
	if !slices.Equal(suggest("x", nil), nil) {
		t.Error("suggestions from no names")
	}
}
