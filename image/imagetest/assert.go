package imagetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// maxDiffLines bounds a diff, so that two unrelated images do not flood
// the test log.
const maxDiffLines = 40

// EqualFiles reports, with t.Error, how the flattened filesystems of got
// and want differ: paths only in one, and paths whose type, mode, owner,
// content or link target differ. An *image.Index is compared platform by
// platform, and an *image.Image counts as an index of one. Digests,
// configs and how files are spread over layers are not compared: two
// images that extract to the same files are equal. It ends the test if a
// layer cannot be read.
func EqualFiles(t testing.TB, got, want image.Artifact) {
	t.Helper()
	d, err := Diff(t.Context(), got, want)
	if err != nil {
		t.Fatal(err)
	}
	if d != "" {
		t.Errorf("imagetest: files differ (got vs want):\n%s", d)
	}
}

// Diff returns what EqualFiles reports: one line for each difference
// between the flattened filesystems of got and want, in path order, or ""
// when they hold the same files. Past 40 lines it says how many more
// there are.
func Diff(ctx context.Context, got, want image.Artifact) (string, error) {
	g, err := byPlatform(got)
	if err != nil {
		return "", err
	}
	w, err := byPlatform(want)
	if err != nil {
		return "", err
	}
	var lines []string
	if len(g) == 1 && len(w) == 1 {
		// Two images: compare them whatever their platforms, and name
		// no platform on each line.
		gp, wp := onlyKey(g), onlyKey(w)
		if gp != wp {
			lines = append(lines, fmt.Sprintf("platform: got %s, want %s", gp, wp))
		}
		g, w = map[string]*image.Image{"": g[gp]}, map[string]*image.Image{"": w[wp]}
	}
	for _, p := range slices.Sorted(maps.Keys(w)) {
		if _, ok := g[p]; !ok {
			lines = append(lines, fmt.Sprintf("%s: missing platform", p))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(g)) {
		wi, ok := w[p]
		if !ok {
			lines = append(lines, fmt.Sprintf("%s: unexpected platform", p))
			continue
		}
		gf, err := Flatten(ctx, g[p])
		if err != nil {
			return "", err
		}
		wf, err := Flatten(ctx, wi)
		if err != nil {
			return "", err
		}
		for _, l := range diffFiles(gf, wf) {
			if p != "" {
				l = p + " " + l
			}
			lines = append(lines, l)
		}
	}
	return joinLines(lines), nil
}

// AssertFiles reports, with t.Error, every entry of want (a Layer or an
// AttrLayer) that img's flattened filesystem does not hold. A content
// asks for a regular file (or hard link) with that content, a key ending
// in "/" (or the value Opaque) for a directory, Symlink and Hardlink for
// links, and Whiteout for the path to be absent. Paths that want does not
// name are not checked, nor are modes and owners unless want gives the
// path Attrs (a zero Mode is not checked; times never are); compare Files with a map of File,
// or use EqualFiles, for all of them. It ends the test if a layer cannot
// be read.
func AssertFiles(t testing.TB, img *image.Image, want LayerSpec) {
	t.Helper()
	wl, wa := want.entries()
	if err := (AttrLayer{Layer: wl, Attrs: wa}).check(); err != nil {
		t.Fatal(err)
	}
	files, err := Flatten(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	keys := slices.SortedFunc(maps.Keys(wl), func(a, b string) int { return strings.Compare(absPath(a), absPath(b)) })
	for _, key := range keys {
		attr, with := wa[key]
		if l := check(files, key, wl[key], attr, with); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 {
		t.Errorf("imagetest: image %s does not hold the files wanted:\n%s", img.Digest(), joinLines(lines))
	}
}

// check returns how files fail the wanted entry key: value of a Layer,
// with attr when with is set, or "".
func check(files map[string]File, key, value string, attr layer.Attr, with bool) string {
	p := absPath(key)
	f, ok := files[p]
	if line := checkKind(p, f, ok, key, value); line != "" || !ok || value == Whiteout || !with {
		return line
	}
	if attr.Mode != 0 && unixMode(f.Mode) != unixMode(attr.Mode) {
		return fmt.Sprintf("%s: got %s, want mode %04o", p, f, unixMode(attr.Mode))
	}
	if f.UID != attr.UID || f.GID != attr.GID {
		return fmt.Sprintf("%s: got %s, want owner %d:%d", p, f, attr.UID, attr.GID)
	}
	return ""
}

// checkKind returns how f, the file at p (ok false when there is none),
// fails the wanted entry key: value of a Layer, attributes aside, or "".
func checkKind(p string, f File, ok bool, key, value string) string {
	if value == Whiteout {
		if ok {
			return fmt.Sprintf("%s: got %s, want it absent", p, f)
		}
		return ""
	}
	var wantKind string
	switch {
	case strings.HasSuffix(key, "/") || value == Opaque:
		wantKind = "dir"
	case strings.HasPrefix(value, symlinkTo):
		wantKind = "symlink -> " + strings.TrimPrefix(value, symlinkTo)
	case strings.HasPrefix(value, hardlinkTo):
		wantKind = "hardlink -> " + absPath(strings.TrimPrefix(value, hardlinkTo))
	default:
		wantKind = fmt.Sprintf("file of %d bytes", len(value))
	}
	if !ok {
		return fmt.Sprintf("%s: missing (want %s)", p, wantKind)
	}
	switch k := f.kind(); {
	case wantKind == "dir":
		if k != "dir" {
			return fmt.Sprintf("%s: got %s, want a directory", p, f)
		}
	case strings.HasPrefix(wantKind, "symlink") || strings.HasPrefix(wantKind, "hardlink"):
		if k+" -> "+f.Link != wantKind {
			return fmt.Sprintf("%s: got %s, want %s", p, f, wantKind)
		}
	case k != "file" && k != "hardlink":
		return fmt.Sprintf("%s: got %s, want a %s", p, f, wantKind)
	case f.Content != value:
		return fmt.Sprintf("%s: %s", p, contentDiff(f.Content, value))
	}
	return ""
}

// diffFiles returns a line for each path that differs between got and
// want, in path order.
func diffFiles(got, want map[string]File) []string {
	var lines []string
	paths := slices.Sorted(maps.Keys(got))
	for p := range want {
		if _, ok := got[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		g, inGot := got[p]
		w, inWant := want[p]
		switch {
		case !inWant:
			lines = append(lines, fmt.Sprintf("%s: unexpected (got %s)", p, g))
		case !inGot:
			lines = append(lines, fmt.Sprintf("%s: missing (want %s)", p, w))
		case g != w:
			lines = append(lines, p+": "+fileDiff(g, w))
		}
	}
	return lines
}

// fileDiff says how two entries of one path differ.
func fileDiff(g, w File) string {
	if g.kind() != w.kind() {
		return fmt.Sprintf("got %s, want %s", g, w)
	}
	var parts []string
	if g.Mode != w.Mode {
		parts = append(parts, fmt.Sprintf("mode got %04o, want %04o", unixMode(g.Mode), unixMode(w.Mode)))
	}
	if g.UID != w.UID || g.GID != w.GID {
		parts = append(parts, fmt.Sprintf("owner got %d:%d, want %d:%d", g.UID, g.GID, w.UID, w.GID))
	}
	if g.Link != w.Link {
		parts = append(parts, fmt.Sprintf("link got %q, want %q", g.Link, w.Link))
	}
	if g.Content != w.Content {
		parts = append(parts, contentDiff(g.Content, w.Content))
	}
	return strings.Join(parts, "; ")
}

// contentDiff shows short texts whole, and otherwise where two contents
// part.
func contentDiff(g, w string) string {
	if len(g) <= 64 && len(w) <= 64 && utf8.ValidString(g) && utf8.ValidString(w) {
		return fmt.Sprintf("content got %q, want %q", g, w)
	}
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	return fmt.Sprintf("content differs from byte %d (got %d bytes, want %d): got %q, want %q",
		i, len(g), len(w), snippet(g, i), snippet(w, i))
}

func snippet(s string, i int) string {
	return s[i:min(len(s), i+16)]
}

func joinLines(lines []string) string {
	if len(lines) > maxDiffLines {
		more := len(lines) - maxDiffLines
		lines = append(lines[:maxDiffLines:maxDiffLines], fmt.Sprintf("... and %d more", more))
	}
	if len(lines) == 0 {
		return ""
	}
	return "\t" + strings.Join(lines, "\n\t")
}

// byPlatform maps each image of a to its platform.
func byPlatform(a image.Artifact) (map[string]*image.Image, error) {
	switch v := a.(type) {
	case *image.Image:
		if v != nil {
			return map[string]*image.Image{v.Platform().String(): v}, nil
		}
	case *image.Index:
		if v != nil {
			m := map[string]*image.Image{}
			for _, img := range v.Images() {
				m[img.Platform().String()] = img
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("imagetest: compare %T: want a non-nil *image.Image or *image.Index", a)
}

func onlyKey(m map[string]*image.Image) string {
	for k := range m {
		return k
	}
	return ""
}
