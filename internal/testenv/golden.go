package testenv

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
)

// Golden compares got, encoded as JSON, with the golden file at path, and
// reports whether they match. It compares decoded values, so the file's
// layout does not matter; where both are JSON objects it reports each key
// that differs, else the whole of both. When update is true, Golden first
// rewrites the file with got as indented JSON; callers pass the value of
// their own -update flag, as testenv registers no flags.
func Golden(tb testing.TB, path string, got any, update bool) bool {
	tb.Helper()
	gotJSON, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		tb.Fatalf("golden %s: %v", path, err)
	}
	if update {
		if err := os.WriteFile(path, append(gotJSON, '\n'), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	wantJSON, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(gotJSON, &g); err != nil {
		tb.Fatalf("golden %s: %v", path, err)
	}
	if err := json.Unmarshal(wantJSON, &w); err != nil {
		tb.Fatalf("golden %s: %v", path, err)
	}
	if reflect.DeepEqual(g, w) {
		return true
	}
	gm, ok1 := g.(map[string]any)
	wm, ok2 := w.(map[string]any)
	if !ok1 || !ok2 {
		tb.Errorf("%s differs:\ngot  %s\nwant %s", path, gotJSON, wantJSON)
	} else {
		for _, k := range keys(gm, wm) {
			if !reflect.DeepEqual(gm[k], wm[k]) {
				tb.Errorf("%s: %s: got %s, want %s", path, k, compact(gm[k]), compact(wm[k]))
			}
		}
	}
	tb.Logf("if the change is meant, rerun the test with -update and say so in the commit")
	return false
}

// keys returns the keys of a and b, sorted, each once.
func keys(a, b map[string]any) []string {
	var ks []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

func compact(v any) string {
	if v == nil {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
