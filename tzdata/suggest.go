package tzdata

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// maxSuggestions is the number of names an unknown-zone error offers.
const maxSuggestions = 3

// maxNameLen bounds the names suggest works on, so that a long input does
// not cost a long edit-distance search; no zone name comes near it.
const maxNameLen = 64

// unknownZone is the error for a name that is not a zone; what, if not
// empty, says where the name came from.
func unknownZone(what, name string) error {
	if what != "" {
		what += ": "
	}
	if s := suggest(name, load().names); len(s) > 0 {
		return fmt.Errorf("tzdata: %s%w %q; did you mean %s?", what, ErrUnknownZone, name, quoteList(s))
	}
	return fmt.Errorf("tzdata: %s%w %q: release %s has no such zone; tzdata.Names lists them", what, ErrUnknownZone, name, Release)
}

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
			d := distance(want, ln)
			if !strings.Contains(want, "/") {
				d = min(d, distance(want, last))
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

// distance returns the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
