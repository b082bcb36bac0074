package tzdata

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/minimage/minimage/internal/typo"
)

// maxSuggestions is the number of names an unknown-zone error offers.
const maxSuggestions = 3

// maxNameLen bounds the names suggest works on, so that a long input does
// not cost a long edit-distance search; no zone name comes near it.
const maxNameLen = 64

// unknownZone is the error for a name that is not a zone; what, if not
// empty, says where the name came from.
func unknownZone(what, name string) error {
	if s := suggest(name, load().names); len(s) > 0 {
		if what != "" {
			what += ": "
		}
		return fmt.Errorf("tzdata: %s%w %q; did you mean %s?", what, ErrUnknownZone, name, quoteList(s))
	}
	return &NoZoneError{Name: name, What: what}
}

// NoZoneError is the error for a zone name, or a pattern, that no zone of
// Release matches or comes close to; it wraps ErrUnknownZone.
type NoZoneError struct {
	Name    string // the name or pattern
	Pattern bool   // Name is a pattern
	What    string // where Name came from, such as "localtime"; may be empty
}

func (e *NoZoneError) Error() string {
	if e.Pattern {
		return fmt.Sprintf("tzdata: pattern %q: %v: it matches no zone of release %s; tzdata.Names lists them", e.Name, ErrUnknownZone, Release)
	}
	what := e.What
	if what != "" {
		what += ": "
	}
	return fmt.Sprintf("tzdata: %s%v %q: release %s has no such zone; tzdata.Names lists them", what, ErrUnknownZone, e.Name, Release)
}

// Unwrap returns ErrUnknownZone.
func (e *NoZoneError) Unwrap() error { return ErrUnknownZone }

// suggest returns up to maxSuggestions names close to an unknown name,
// best first: the same name in another case; else names whose last
// component is the given name ("Paris" for Europe/Paris); else the names
// nearest to it by edit distance, whole or in their last component, within
// a small limit.
func suggest(name string, names []string) []string {
	want := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), " ", "_"))
	if want == "" || len(want) > maxNameLen {
		return nil
	}
	limit := max(2, len(want)/4)
	type scored struct {
		name  string
		score int
	}
	var found []scored
	for _, n := range names {
		ln := strings.ToLower(n)
		last := ln[strings.LastIndexByte(ln, '/')+1:]
		score := -1
		switch {
		case ln == want:
			score = 0
		case last == want || strings.HasSuffix(ln, "/"+want):
			score = 1
		default:
			d := typo.Distance(want, ln)
			if !strings.Contains(want, "/") {
				d = min(d, typo.Distance(want, last))
			}
			if d <= limit {
				score = 1 + d
			}
		}
		if score >= 0 {
			found = append(found, scored{n, score})
		}
	}
	slices.SortFunc(found, func(a, b scored) int {
		return cmp.Or(cmp.Compare(a.score, b.score), cmp.Compare(a.name, b.name))
	})
	var out []string
	for _, f := range found[:min(len(found), maxSuggestions)] {
		// A match of case or of the last component is what the caller
		// meant; offer near misses beside it only when none is that good.
		if best := found[0].score; best <= 1 && f.score > best || f.score > best+1 {
			break
		}
		out = append(out, f.name)
	}
	return out
}

// quoteList formats names as "a", "b" or "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
