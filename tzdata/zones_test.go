package tzdata

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestNames(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Fatal("Names is not sorted")
	}
	if len(names) < 500 {
		t.Fatalf("only %d names", len(names))
	}
	for _, n := range []string{"Europe/Paris", "America/New_York", "US/Eastern", "UTC", "Etc/UTC", "Asia/Kolkata", "Asia/Calcutta", "America/Argentina/Salta"} {
		if _, ok := slices.BinarySearch(names, n); !ok {
			t.Errorf("Names lacks %s", n)
		}
	}
	names[0] = "changed"
	if Names()[0] == "changed" {
		t.Error("Names returned a shared slice")
	}
	t.Logf("%d names: %d zones, %d links", len(names), len(names)-len(links), len(links))
}

func TestCanonical(t *testing.T) {
	tests := []struct{ name, want string }{
		{"US/Eastern", "America/New_York"},
		{"Asia/Calcutta", "Asia/Kolkata"},
		{"UTC", "Etc/UTC"},
		{"Etc/UCT", "Etc/UTC"},
		{"Zulu", "Etc/UTC"},
		{"Universal", "Etc/UTC"},
		{"GMT", "Etc/GMT"},
		{"EST5EDT", "America/New_York"},
		{"CET", "Europe/Brussels"},
		{"America/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"Etc/UTC", "Etc/UTC"},
		{"Europe/Paris", "Europe/Paris"},
		{"America/New_York", "America/New_York"},
		{"Asia/Kolkata", "Asia/Kolkata"},
	}
	for _, tc := range tests {
		got, err := Canonical(tc.name)
		if err != nil || got != tc.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestLinks checks the generated table against the embedded bytes, as the
// generator does: a link holds its zone's bytes, and no zone is a link.
func TestLinks(t *testing.T) {
	z := load()
	for name, target := range links {
		if _, ok := links[target]; ok {
			t.Errorf("%s -> %s, itself a link", name, target)
		}
		if z.data[name] == nil || !bytes.Equal(z.data[name], z.data[target]) {
			t.Errorf("%s and %s do not hold equal bytes", name, target)
		}
	}
}

// TestData reads every zone through archive/zip, which checks its CRC, and
// parses it as Go's time package would.
func TestData(t *testing.T) {
	zr, err := zip.NewReader(bytes.NewReader(zoneinfoZip), int64(len(zoneinfoZip)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !bytes.Equal(data, load().data[f.Name]) {
			t.Fatalf("%s: the index holds other bytes", f.Name)
		}
		if _, err := time.LoadLocationFromTZData(f.Name, data); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

// TestRelease checks Release against the toolchain the test runs with,
// when that toolchain ships the same zip. A different toolchain may have
// another release; then run go generate to take it.
func TestRelease(t *testing.T) {
	if !regexp.MustCompile(`^[0-9]{4}[a-z]$`).MatchString(Release) {
		t.Fatalf("Release = %q", Release)
	}
	libTime := filepath.Join(runtimeGOROOT(t), "lib", "time")
	zipData, err := os.ReadFile(filepath.Join(libTime, "zoneinfo.zip"))
	if err != nil {
		t.Skip(err)
	}
	if !bytes.Equal(zipData, zoneinfoZip) {
		t.Skipf("the toolchain's zoneinfo.zip differs from the embedded one (run go generate ./tzdata to take it)")
	}
	script, err := os.ReadFile(filepath.Join(libTime, "update.bash"))
	if err != nil {
		t.Skip(err)
	}
	m := regexp.MustCompile(`(?m)^DATA=(\S+)$`).FindSubmatch(script)
	if m == nil || string(m[1]) != Release {
		t.Fatalf("update.bash says DATA=%s, Release is %s", m[1], Release)
	}
}
