package layer

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/minimage/minimage/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the current code")

// goldenBuilder adds one of every kind of entry, in a scrambled order.
// hostDir receives the host file; its permissions and times are whatever
// the caller's environment makes them.
func goldenBuilder(t testing.TB, o Options, hostDir string) *Builder {
	t.Helper()
	host := filepath.Join(hostDir, "tool")
	if err := os.WriteFile(host, []byte("#!/bin/true\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"index.html":     {Data: []byte("<h1>hi</h1>\n"), Mode: 0o600},
		"js/app.js":      {Data: []byte("console.log(1)\n")},
		"bin/run.sh":     {Data: []byte("#!/bin/sh\n"), Mode: 0o700},
		"css/empty.css":  {Data: nil},
		"img/large.data": {Data: randomData(200<<10, 7)},
	}
	b := New(o)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	long := strings.Repeat("deep/", 30) + "file.txt" // needs PAX
	mid := strings.Repeat("d", 90) + "/" + strings.Repeat("f", 90)
	must(b.AddSymlink("/bin/app", "/app/tool", Attr{}))
	must(b.AddFS("/srv/www", fsys, Attr{UID: 33, GID: 33}))
	must(b.AddHardlink("/app/alias", "/app/config.json", Attr{}))
	must(b.AddFile("/app/config.json", []byte(`{"debug":false}`), Attr{Mode: 0o640, UID: 65532, GID: 65532, Uname: "nonroot", Gname: "nonroot"}))
	must(b.AddReader("app/big.bin", bytes.NewReader(textData(3<<20+123, 1)), 3<<20+123, Attr{}))
	must(b.AddHostFile("/app/tool", host, Attr{}))
	must(b.AddDir("/tmp", Attr{Mode: 0o777 | fs.ModeSticky}))
	must(b.AddDir("/etc", Attr{}))
	must(b.AddFile("/etc/hostname", []byte("minimage\n"), Attr{}))
	must(b.AddFile(long, []byte("long"), Attr{}))
	must(b.AddFile(mid, []byte("ustar prefix"), Attr{UID: 3000000}))
	return b
}

type golden struct {
	Digest string `json:"digest"`
	DiffID string `json:"diffID"`
	Size   int64  `json:"size"`
}

// TestGolden pins the digests of a fixed layer for each compression. A
// change here changes every image users build: it needs a reason in the
// commit and a note in the changelog, then `go test ./layer -run Golden
// -update`.
func TestGolden(t *testing.T) {
	got := map[string]golden{}
	for _, c := range []Compression{Gzip, Zstd, Uncompressed} {
		l := build(t, goldenBuilder(t, Options{Format: Format{Compression: c}}, t.TempDir()))
		got[c.String()] = golden{string(l.Digest()), string(l.DiffID()), l.Size()}
	}
	testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update)
	if got["gzip"].DiffID != got["zstd"].DiffID || got["gzip"].DiffID != got["none"].DiffID {
		t.Errorf("diffIDs differ between compressions: %+v", got)
	}
	if got["none"].Digest != got["none"].DiffID {
		t.Errorf("uncompressed layer: digest %s != diffID %s", got["none"].Digest, got["none"].DiffID)
	}
}

// TestReproducibleAcrossHosts builds the golden layer under different
// GOMAXPROCS, umask, time zone, host file times and gzip concurrency, and
// wants the same bytes every time.
func TestReproducibleAcrossHosts(t *testing.T) {
	ref := build(t, goldenBuilder(t, Options{}, t.TempDir()))
	refBytes := readAll(t, ref.Compressed)

	cases := []struct {
		name     string
		procs    int
		umask    int
		tz       string
		mtime    time.Time
		blocks   int
		modTimed bool
	}{
		{"procs1", 1, 0o022, "UTC", time.Unix(1e9, 0), 1, false},
		{"procs4-umask077", 4, 0o077, "Asia/Kolkata", time.Unix(2e9, 0), 4, false},
		{"umask000-tz", 2, 0, "America/St_Johns", time.Unix(5, 0), 16, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			testenv.Umask(t, c.umask)
			if loc, err := time.LoadLocation(c.tz); err == nil {
				old := time.Local
				time.Local = loc
				defer func() { time.Local = old }()
			}
			dir := t.TempDir()
			b := goldenBuilder(t, Options{Blocks: c.blocks}, dir)
			if err := os.Chtimes(filepath.Join(dir, "tool"), c.mtime, c.mtime); err != nil {
				t.Fatal(err)
			}
			l := build(t, b)
			if l.Digest() != ref.Digest() || l.DiffID() != ref.DiffID() {
				t.Fatalf("digest %s diffID %s, want %s %s", l.Digest(), l.DiffID(), ref.Digest(), ref.DiffID())
			}
			if !bytes.Equal(readAll(t, l.Compressed), refBytes) {
				t.Fatal("compressed bytes differ")
			}
		})
	}
}
