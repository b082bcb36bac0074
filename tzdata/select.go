package tzdata

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// All is the pattern that selects every zone and link.
const All = "all"

// Select returns the names that patterns select, sorted and without
// duplicates; the package documentation gives the pattern rules. Each bad
// pattern gives an error: one wrapping ErrUnknownZone for an unknown name
// or a pattern that matches nothing, one wrapping path.ErrBadPattern for a
// malformed pattern; they are joined with errors.Join. No patterns select
// nothing.
func Select(patterns ...string) ([]string, error) {
	z := load()
	seen := make(map[string]bool)
	var errs []error
	for _, p := range patterns {
		if p == All {
			continue // every name; see below
		}
		matched, err := match(z, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, n := range matched {
			seen[n] = true
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if slices.Contains(patterns, All) {
		return slices.Clone(z.names), nil // sorted, and every name
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// match returns the names one pattern selects.
func match(z *zones, p string) ([]string, error) {
	switch {
	case p == All:
		return z.names, nil
	case p == "":
		return nil, fmt.Errorf("tzdata: %w: empty zone name; give a name such as \"Europe/Paris\", a pattern such as \"Europe/*\", or %q", ErrUnknownZone, All)
	case !isPattern(p):
		if _, ok := z.data[p]; !ok {
			return nil, unknownZone("", p)
		}
		return []string{p}, nil
	}
	if _, err := path.Match(p, ""); err != nil {
		return nil, fmt.Errorf("tzdata: pattern %q: %w; see path.Match for the syntax", p, err)
	}
	var out []string
	for _, n := range z.names {
		if matchName(p, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, noMatch(z, p)
	}
	return out, nil
}

func isPattern(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// matchName reports whether name matches the valid pattern p, with a
// trailing "/**" matching any number of further components.
func matchName(p, name string) bool {
	dir, deep := strings.CutSuffix(p, "/**")
	if !deep {
		ok, _ := path.Match(p, name)
		return ok
	}
	k := strings.Count(dir, "/") + 1
	parts := strings.SplitN(name, "/", k+1)
	if len(parts) <= k {
		return false // nothing below the directory
	}
	ok, _ := path.Match(dir, strings.Join(parts[:k], "/"))
	return ok
}

// noMatch is the error for a pattern that matches nothing. Zone names are
// case-sensitive, so the likeliest slip is case: it says what the pattern
// would match without regard to case.
func noMatch(z *zones, p string) error {
	lp := strings.ToLower(p)
	var fold []string
	for _, n := range z.names {
		if matchName(lp, strings.ToLower(n)) {
			fold = append(fold, n)
		}
	}
	if len(fold) > 0 {
		more := ""
		if len(fold) > 3 {
			more = fmt.Sprintf(" and %d more", len(fold)-3)
			fold = fold[:3]
		}
		return fmt.Errorf("tzdata: pattern %q: %w: it matches no zone; zone names are case-sensitive, and without regard to case it would match %s%s", p, ErrUnknownZone, quoteList(fold), more)
	}
	return &NoZoneError{Name: p, Pattern: true}
}
