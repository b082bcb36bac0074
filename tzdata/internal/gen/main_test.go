package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRelease(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"CODE=2025b\nDATA=2025c\n", "2025c"},
		{"DATA=2024a", "2024a"},
		{"# DATA=2020a\n", ""},
		{"DATA=latest\n", ""},
	} {
		got, err := parseRelease([]byte(tc.in))
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("parseRelease(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	zones := map[string][]byte{"A/Zone": []byte("a"), "B/Zone": []byte("b"), "Old": []byte("a"), "Same": []byte("b")}
	tests := []struct {
		links string
		err   string // "" for none
	}{
		{"A/Zone Old\nB/Zone Same\n", ""},
		{"# comment\n\nA/Zone Old\n", "zones B/Zone, Same hold equal bytes"},
		{"A/Zone Old\nB/Zone Same\nA/Zone Gone\n", "link Gone is not in zoneinfo.zip"},
		{"B/Zone Old\nB/Zone Same\n", "link Old: its bytes differ"},
		{"Old Same\nA/Zone Old\n", "target Old is itself a link"},
	}
	for _, tc := range tests {
		links, err := parseLinks(tc.links)
		if err != nil {
			t.Fatal(err)
		}
		err = check(zones, links)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("links %q: err = %v, want %q", tc.links, err, tc.err)
		}
	}
	if _, err := parseLinks("A B C\n"); err == nil {
		t.Error("three fields accepted")
	}
	if _, err := parseLinks("A B\nC B\n"); err == nil {
		t.Error("a link listed twice accepted")
	}
}

// TestUpToDate runs the generator against the toolchain into a temporary
// directory and compares with the committed files, when the toolchain
// ships the zip that is committed.
func TestUpToDate(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip(err)
	}
	libTime := filepath.Join(strings.TrimSpace(string(out)), "lib", "time")
	dir := t.TempDir()
	if err := run(libTime, dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"zoneinfo.zip", "version.go", "links.go"} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			if f == "zoneinfo.zip" {
				t.Skip("this toolchain ships another zoneinfo.zip; go generate ./tzdata would take it")
			}
			t.Errorf("%s is not what go generate writes; run go generate ./tzdata", f)
		}
	}
}
