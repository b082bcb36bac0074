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
	if got := quoteList([]string{"a", "b", "c"}); got != `"a", "b" or "c"` {
		t.Errorf("quoteList = %s", got)
	}
	if !slices.Equal(suggest("x", nil), nil) {
		t.Error("suggestions from no names")
	}
}

// TestNoZoneError: a name or pattern nothing comes close to gives a
// *NoZoneError that says which, and wraps ErrUnknownZone.
func TestNoZoneError(t *testing.T) {
	for _, c := range []struct {
		err     func() error
		name    string
		pattern bool
	}{
		{func() error { _, err := Select("Mars/*"); return err }, "Mars/*", true},
		{func() error { _, err := Canonical("Qqqqqqqqqqqq"); return err }, "Qqqqqqqqqqqq", false},
	} {
		err := c.err()
		var ze *NoZoneError
		if !errors.As(err, &ze) || ze.Name != c.name || ze.Pattern != c.pattern || !errors.Is(err, ErrUnknownZone) {
			t.Errorf("%s: got %v (%+v); want a *NoZoneError for it, Pattern %v, wrapping ErrUnknownZone", c.name, err, ze, c.pattern)
		}
	}
}
