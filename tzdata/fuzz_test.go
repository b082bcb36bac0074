package tzdata

import (
	"errors"
	"path"
	"strings"
	"testing"
)

// FuzzSelect feeds arbitrary patterns, one per line: Select must never
// panic, must return known names when it succeeds, and must wrap one of
// its documented errors when it fails.
func FuzzSelect(f *testing.F) {
	for _, s := range []string{
		"Europe/Paris", "all", "America/**", "*/Argentina/**", "Etc/GMT+?", "US/[EP]*",
		"[", "\\", "Europe/[a", "**/**", "/**", "europe/paris\nParis", "", "a/b/c/d/e/f/**",
		"[^]]", "Europe/Paris\x00", strings.Repeat("A", 200),
	} {
		f.Add(s)
	}
	known := make(map[string]bool)
	for _, n := range Names() {
		known[n] = true
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Select(strings.Split(in, "\n")...)
		if err != nil {
			if !errors.Is(err, ErrUnknownZone) && !errors.Is(err, path.ErrBadPattern) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		for _, n := range got {
			if !known[n] {
				t.Fatalf("selected unknown name %q", n)
			}
		}
	})
}
