package typo

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"abc", "abc", 0}, {"output", "output", 0},
		{"paris", "pari", 1}, {"kitten", "sitting", 3}, {"zone", "zones", 1},
		{"outptu", "output", 1}, {"tga", "tag", 1}, {"ab", "ba", 1}, {"abc", "ca", 3},
	} {
		if got := Distance(tc.a, tc.b); got != tc.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
		if got := Distance(tc.b, tc.a); got != tc.d {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tc.b, tc.a, got, tc.d)
		}
	}
}
