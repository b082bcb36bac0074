package tzdata

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/testenv"
)

// subset is the fixed selection of the tests and goldens.
var subset = Options{
	Zones:     []string{"Europe/Paris", "America/New_York", "US/Eastern", "UTC"},
	Localtime: "Europe/Paris",
}

func TestLayerTree(t *testing.T) {
	l := must(Layer(context.Background(), subset))
	es := readLayer(t, l)
	want := map[string]string{ // name -> "file" or symlink target
		"usr/share/zoneinfo/Europe/Paris":     "file",
		"usr/share/zoneinfo/America/New_York": "file",
		"usr/share/zoneinfo/Etc/UTC":          "file",
		"usr/share/zoneinfo/US/Eastern":       "../America/New_York",
		"usr/share/zoneinfo/UTC":              "Etc/UTC",
		"etc/localtime":                       "/usr/share/zoneinfo/Europe/Paris",
	}
	for name, kind := range want {
		e, ok := es[name]
		switch {
		case !ok:
			t.Errorf("%s missing", name)
		case kind == "file":
			c, _ := Canonical(strings.TrimPrefix(name, "usr/share/zoneinfo/"))
			if e.Header.Typeflag != tar.TypeReg || e.Header.Mode != 0o644 || !bytes.Equal(e.Body, load().data[c]) {
				t.Errorf("%s: type %c mode %o, %d bytes; want the zone as a 0644 file", name, e.Header.Typeflag, e.Header.Mode, len(e.Body))
			}
		case e.Header.Typeflag != tar.TypeSymlink || e.Header.Linkname != kind:
			t.Errorf("%s: type %c -> %q, want a symlink to %q", name, e.Header.Typeflag, e.Header.Linkname, kind)
		}
	}
	for name, e := range es {
		if _, ok := want[name]; !ok && e.Header.Typeflag != tar.TypeDir {
			t.Errorf("unexpected %s", name)
		}
	}

	// Extracted, every selected name loads through the file system.
	dir := t.TempDir()
	extract(t, es, dir)
	for _, n := range append(subset.Zones, "Etc/UTC", "../../../etc/localtime") {
		data, err := os.ReadFile(filepath.Join(dir, "usr/share/zoneinfo", n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := time.LoadLocationFromTZData(n, data); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestLayerZip(t *testing.T) {
	opts := subset
	opts.Zip = true
	es := readLayer(t, must(Layer(context.Background(), opts)))
	var names []string
	for n, e := range es {
		if e.Header.Typeflag != tar.TypeDir {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if want := []string{"etc/localtime", "usr/share/zoneinfo.zip"}; !slices.Equal(names, want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
	if !bytes.Equal(es["etc/localtime"].Body, load().data["Europe/Paris"]) {
		t.Error("/etc/localtime is not a copy of Europe/Paris")
	}
	data := es["usr/share/zoneinfo.zip"].Body
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range zr.File {
		got = append(got, f.Name)
		if f.Method != zip.Store || f.ModifiedDate != 0 || f.ModifiedTime != 0 || len(f.Extra) != 0 {
			t.Errorf("%s: method %d, modified %d %d, extra %d bytes; want stored, no time, no extra", f.Name, f.Method, f.ModifiedDate, f.ModifiedTime, len(f.Extra))
		}
		rc, _ := f.Open()
		b, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(b, load().data[canonical(f.Name)]) {
			t.Errorf("%s: %v, or not the zone's bytes", f.Name, err)
		}
	}
	want := []string{"America/New_York", "Etc/UTC", "Europe/Paris", "US/Eastern", "UTC"}
	if !slices.Equal(got, want) {
		t.Errorf("zip holds %q, want %q in this order", got, want)
	}
	if env := Env(opts); !slices.Equal(env, []string{"ZONEINFO=/usr/share/zoneinfo.zip"}) {
		t.Errorf("Env = %q", env)
	}
	if env := Env(subset); env != nil {
		t.Errorf("Env without Zip = %q", env)
	}
}

// TestZipLoadsInGo has Go's time package read a zip from writeZip through
// $ZONEINFO, in a child process. The zone's name exists nowhere else, so
// only the zip can provide it.
func TestZipLoadsInGo(t *testing.T) {
	z := &zones{data: map[string][]byte{"Test/Tokyo": load().data["Asia/Tokyo"]}}
	data, err := writeZip(z, []string{"Test/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "zoneinfo.zip")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ZONEINFO="+file, childEnv+"=Test/Tokyo")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Test/Tokyo +0900") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// childEnv, when set, makes the test binary load the zones it names with
// time.LoadLocation, print them, and exit.
const childEnv = "TZDATA_TEST_LOAD"

func TestMain(m *testing.M) {
	if names := os.Getenv(childEnv); names != "" {
		for _, n := range strings.Split(names, ",") {
			loc, err := time.LoadLocation(n)
			if err != nil {
				fmt.Println(err)
				os.Exit(1)
			}
			fmt.Println(loc, time.Date(2025, 1, 1, 0, 0, 0, 0, loc).Format("-0700"))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLayerErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		opts  Options
		want  error
		inMsg string
	}{
		{Options{}, ErrNoZones, `"all"`},
		{Options{Zones: []string{"Europe/Pari"}}, ErrUnknownZone, `did you mean "Europe/Paris"`},
		{Options{Localtime: "Europe/*"}, ErrUnknownZone, "not a pattern"},
		{Options{Localtime: "paris"}, ErrUnknownZone, `tzdata: localtime: unknown time zone "paris"; did you mean "Europe/Paris"`},
		{Options{Zones: []string{"Europe/[a"}}, nil, "syntax"},
	}
	for _, tc := range tests {
		_, err := Layer(ctx, tc.opts)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.inMsg) {
			t.Errorf("%+v: err = %v, want %v mentioning %s", tc.opts, err, tc.want, tc.inMsg)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Layer(cancelled, Options{Zones: []string{"all"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestRelative(t *testing.T) {
	for _, tc := range []struct{ name, target, want string }{
		{"US/Eastern", "America/New_York", "../America/New_York"},
		{"UTC", "Etc/UTC", "Etc/UTC"},
		{"Etc/UCT", "Etc/UTC", "UTC"},
		{"America/Buenos_Aires", "America/Argentina/Buenos_Aires", "Argentina/Buenos_Aires"},
		{"America/Argentina/ComodRivadavia", "America/Argentina/Catamarca", "Catamarca"},
		{"Asia/Calcutta", "Asia/Kolkata", "Kolkata"},
		{"CET", "Europe/Brussels", "Europe/Brussels"},
	} {
		if got := relative(tc.name, tc.target); got != tc.want {
			t.Errorf("relative(%s, %s) = %s, want %s", tc.name, tc.target, got, tc.want)
		}
		if got := filepath.Clean(filepath.Join(filepath.Dir(tc.name), relative(tc.name, tc.target))); got != tc.target {
			t.Errorf("%s -> %s resolves to %s", tc.name, relative(tc.name, tc.target), got)
		}
	}
}

// extract writes the entries into dir: directories, files and symlinks.
func extract(t *testing.T, es map[string]testenv.Entry, dir string) {
	t.Helper()
	names := make([]string, 0, len(es))
	for n := range es {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		e, p := es[n], filepath.Join(dir, n)
		var err error
		switch e.Header.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.WriteFile(p, e.Body, 0o644)
			}
		case tar.TypeSymlink:
			target := e.Header.Linkname
			if filepath.IsAbs(target) {
				target = filepath.Join(dir, target) // stay inside dir
			}
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.Symlink(target, p)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
