package tzdata

import (
	"errors"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		has      []string
		hasNot   []string
		count    int // 0: not checked
	}{
		{"none", nil, nil, nil, 0},
		{"exact", []string{"Europe/Paris"}, []string{"Europe/Paris"}, nil, 1},
		{"link kept as named", []string{"US/Eastern"}, []string{"US/Eastern"}, []string{"America/New_York"}, 1},
		{"duplicates", []string{"UTC", "UTC", "Etc/*", "Etc/UTC"}, []string{"UTC", "Etc/UTC", "Etc/GMT+5"}, nil, 0},
		{"star stops at slash", []string{"America/*"}, []string{"America/New_York", "America/Buenos_Aires"}, []string{"America/Argentina/Salta", "US/Eastern"}, 0},
		{"nested star", []string{"America/Argentina/*"}, []string{"America/Argentina/Salta"}, []string{"America/New_York"}, 0},
		{"double star", []string{"America/**"}, []string{"America/New_York", "America/Argentina/Salta", "America/Indiana/Knox"}, []string{"America"}, 0},
		{"double star with pattern", []string{"*/Argentina/**"}, []string{"America/Argentina/Salta"}, []string{"America/New_York"}, 0},
		{"question mark", []string{"Etc/GMT+?"}, []string{"Etc/GMT+0", "Etc/GMT+5"}, []string{"Etc/GMT+10", "Etc/GMT"}, 10},
		{"class", []string{"US/[EP]*"}, []string{"US/Eastern", "US/Pacific"}, []string{"US/Central"}, 3},
		{"top level", []string{"*"}, []string{"UTC", "GMT", "CET"}, []string{"Europe/Paris"}, 0},
		{"all", []string{"all"}, []string{"Europe/Paris", "US/Eastern", "America/Argentina/Salta"}, nil, len(Names())},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(tc.patterns...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("not sorted and unique: %q", got)
			}
			for _, n := range tc.has {
				if !slices.Contains(got, n) {
					t.Errorf("lacks %s", n)
				}
			}
			for _, n := range tc.hasNot {
				if slices.Contains(got, n) {
					t.Errorf("has %s", n)
				}
			}
			if tc.count != 0 && len(got) != tc.count {
				t.Errorf("%d names, want %d: %q", len(got), tc.count, got)
			}
		})
	}
}

func TestSelectErrors(t *testing.T) {
	tests := []struct {
		patterns []string
		want     error
		inMsg    []string
	}{
		{[]string{"europe/paris"}, ErrUnknownZone, []string{`"europe/paris"`, `did you mean "Europe/Paris"`}},
		{[]string{"Mars/Olympus"}, ErrUnknownZone, []string{"no such zone", "tzdata.Names"}},
		{[]string{""}, ErrUnknownZone, []string{"empty zone name"}},
		{[]string{"europe/*"}, ErrUnknownZone, []string{"case-sensitive", `"Europe/Amsterdam"`, "more"}},
		{[]string{"Mars/*"}, ErrUnknownZone, []string{"matches no zone"}},
		{[]string{"Europe/[a"}, path.ErrBadPattern, []string{`"Europe/[a"`}},
		{[]string{"Europe/Paris", "Nowhere", "Europe/*", "Pari"}, ErrUnknownZone, []string{`"Nowhere"`, `"Pari"`}},
	}
	for _, tc := range tests {
		got, err := Select(tc.patterns...)
		if !errors.Is(err, tc.want) || got != nil {
			t.Errorf("Select(%q) = %q, %v; want error %v", tc.patterns, got, err, tc.want)
			continue
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "tzdata: ") {
				t.Errorf("error line %q lacks the package prefix", line)
			}
		}
		for _, s := range tc.inMsg {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("Select(%q): error %q does not mention %s", tc.patterns, err, s)
			}
		}
	}
}
