package layer

import (
	"fmt"
	"strings"
)

// cleanPath returns name cleaned and made relative to the root, or an error
// wrapping ErrInvalidPath that says which rule name breaks.
func cleanPath(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty path; give a path such as \"/app\"", ErrInvalidPath)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("%w: %q holds a NUL byte", ErrInvalidPath, name)
	}
	parts := make([]string, 0, strings.Count(name, "/")+1)
	for _, p := range strings.Split(name, "/") {
		switch p {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", fmt.Errorf("%w: %q climbs above the root with \"..\"", ErrInvalidPath, name)
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("%w: %q names the root, which a layer cannot hold as an entry", ErrInvalidPath, name)
	}
	return strings.Join(parts, "/"), nil
}

// comparePaths orders cleaned paths component by component, so that a
// directory sorts immediately before everything beneath it.
func comparePaths(a, b string) int {
	for {
		ai, bi := strings.IndexByte(a, '/'), strings.IndexByte(b, '/')
		ac, bc := a, b
		if ai >= 0 {
			ac = a[:ai]
		}
		if bi >= 0 {
			bc = b[:bi]
		}
		if c := strings.Compare(ac, bc); c != 0 {
			return c
		}
		switch {
		case ai < 0 && bi < 0:
			return 0
		case ai < 0:
			return -1
		case bi < 0:
			return 1
		}
		a, b = a[ai+1:], b[bi+1:]
	}
}

// parentOf returns the parent of a cleaned path, or "" for a top-level one.
func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}
