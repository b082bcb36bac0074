package imagetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// recorder is a testing.TB that records failures instead of failing, so
// that tests can check what the assertions of this package report. The
// methods it does not override go to the real test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) {
	r.Errorf("%s", fmt.Sprint(args...))
	r.fatal = true
	panic(r) // unwound by run
}

func (r *recorder) Fatalf(format string, args ...any) { r.Fatal(fmt.Sprintf(format, args...)) }

// run calls f with a recorder and returns what it reported.
func run(t *testing.T, f func(tb testing.TB)) (r *recorder) {
	r = &recorder{TB: t}
	defer func() {
		if v := recover(); v != nil && v != r {
			panic(v)
		}
	}()
	f(r)
	return r
}

func TestEqualFiles(t *testing.T) {
	a := FromLayers(t, image.Platform{}, Layer{"etc/os-release": "ID=a\n", "bin/app": "app", "only/a": "x"})
	// The same files spread over two layers, compressed otherwise: equal.
	l1, err := Layer{"etc/os-release": "ID=a\n", "only/a": "x"}.Build(context.Background(), layer.Options{Format: layer.Format{Compression: layer.Uncompressed}})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := Layer{"bin/app": "app"}.Build(context.Background(), layer.Options{Format: layer.Format{Compression: layer.Zstd}})
	if err != nil {
		t.Fatal(err)
	}
	same := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(l1, l2)
	if r := run(t, func(tb testing.TB) { EqualFiles(tb, same, a) }); len(r.errors) > 0 {
		t.Errorf("equal images reported: %q", r.errors)
	}

	b := FromLayers(t, image.Platform{OS: "linux", Architecture: "arm64"},
		Layer{"etc/os-release": "ID=b\n", "bin/app": Symlink("busybox"), "only/b/": ""},
	)
	r := run(t, func(tb testing.TB) { EqualFiles(tb, a, b) })
	want := `imagetest: files differ (got vs want):
	platform: got linux/amd64, want linux/arm64
	/bin/app: got file 0644 0:0 3 bytes, want symlink 0777 0:0 -> busybox
	/etc/os-release: content got "ID=a\n", want "ID=b\n"
	/only/a: unexpected (got file 0644 0:0 1 bytes)
	/only/b: missing (want dir 0755 0:0)`
	if len(r.errors) != 1 || r.errors[0] != want || r.fatal {
		t.Errorf("EqualFiles reported\n%s\nwant\n%s", strings.Join(r.errors, "\n"), want)
	}
}

func TestEqualFilesIndex(t *testing.T) {
	s := Spec{Seed: 1, Files: 2, Size: 100, Compression: layer.Uncompressed, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}}
	a := Index(t, s)
	s.Platforms = []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "s390x"}}
	b := Index(t, s)
	d, err := Diff(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"linux/s390x: missing platform", "linux/arm64: unexpected platform"} {
		if !strings.Contains(d, w) {
			t.Errorf("diff lacks %q:\n%s", w, d)
		}
	}
	if strings.Contains(d, "linux/amd64") {
		t.Errorf("diff names linux/amd64, which is the same in both:\n%s", d)
	}
	if _, err := Diff(context.Background(), a, (*image.Image)(nil)); err == nil || !strings.HasPrefix(err.Error(), "imagetest: ") {
		t.Errorf("nil image: %v", err)
	}
}

func TestDiffContent(t *testing.T) {
	long := strings.Repeat("x", 100)
	a := FromLayers(t, image.Platform{}, Layer{"f": long + "A" + long})
	b := FromLayers(t, image.Platform{}, Layer{"f": long + "B" + long})
	d, err := Diff(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := "\t/f: content differs from byte 100 (got 201 bytes, want 201): got \"Axxxxxxxxxxxxxxx\", want \"Bxxxxxxxxxxxxxxx\""
	if d != want {
		t.Errorf("diff\n%s\nwant\n%s", d, want)
	}
}

func TestDiffIsBounded(t *testing.T) {
	a := Image(t, Spec{Seed: 1, Files: 100, Size: 10, Compression: layer.Uncompressed})
	b := Image(t, Spec{Seed: 2, Files: 100, Size: 10, Compression: layer.Uncompressed})
	d, err := Diff(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(d, "\n") + 1; n != maxDiffLines+1 || !strings.HasSuffix(d, "... and 60 more") {
		t.Errorf("diff of %d lines, ending %q", n, d[len(d)-20:])
	}
}

func TestAssertFiles(t *testing.T) {
	img := FromLayers(t, image.Platform{},
		Layer{"etc/os-release": "ID=fixture\n", "bin/sh": Symlink("busybox"), "bin/busybox": "elf", "tmp/": "", "secret": "x", "hard": Hardlink("bin/busybox")},
	)
	r := run(t, func(tb testing.TB) {
		AssertFiles(tb, img, Layer{
			"/etc/os-release": "ID=fixture\n",
			"bin/sh":          Symlink("busybox"),
			"tmp/":            "",
			"hard":            Hardlink("/bin/busybox"),
			"gone":            Whiteout,
		})
	})
	if len(r.errors) > 0 {
		t.Errorf("AssertFiles of what the image holds reported %q", r.errors)
	}
	r = run(t, func(tb testing.TB) {
		AssertFiles(tb, img, Layer{
			"/etc/os-release": "ID=other\n",
			"bin/sh":          Symlink("toybox"),
			"bin/busybox/":    "",
			"tmp":             "a file",
			"secret":          Whiteout,
			"missing":         "?",
		})
	})
	want := []string{
		`/bin/busybox: got file 0644 0:0 3 bytes, want a directory`,
		`/bin/sh: got symlink 0777 0:0 -> busybox, want symlink -> toybox`,
		`/etc/os-release: content got "ID=fixture\n", want "ID=other\n"`,
		`/missing: missing (want file of 1 bytes)`,
		`/secret: got file 0644 0:0 1 bytes, want it absent`,
		`/tmp: got dir 0755 0:0, want a file of 6 bytes`,
	}
	if len(r.errors) != 1 {
		t.Fatalf("AssertFiles reported %d errors, want 1: %q", len(r.errors), r.errors)
	}
	if got := r.errors[0][strings.Index(r.errors[0], "\n")+2:]; got != strings.Join(want, "\n\t") {
		t.Errorf("AssertFiles reported\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestHelpersFail(t *testing.T) {
	for name, f := range map[string]func(testing.TB){
		"Image":      func(tb testing.TB) { Image(tb, Spec{Size: -1}) },
		"Index":      func(tb testing.TB) { Index(tb, Spec{Platforms: []image.Platform{{OS: "x"}}}) },
		"FromLayers": func(tb testing.TB) { FromLayers(tb, image.Platform{OS: "linux"}, Layer{}) },
		"FromFS":     func(tb testing.TB) { FromFS(tb, image.Platform{}, nil) },
		"WriteLayout": func(tb testing.TB) {
			WriteLayout(tb, FromLayers(t, image.Platform{}, Layer{"a": "b"}), "bad tag!")
		},
		"WriteTarball": func(tb testing.TB) {
			WriteTarball(tb, FromLayers(t, image.Platform{}, Layer{"a": "b"}), "Bad::tag")
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, f)
			if !r.fatal || len(r.errors) != 1 || !strings.HasPrefix(r.errors[0], "imagetest: ") {
				t.Errorf("fatal %v, errors %q; want one fatal error prefixed imagetest:", r.fatal, r.errors)
			}
		})
	}
}
