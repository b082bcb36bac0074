package imagetest

import (
	"archive/tar"
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

// headers returns the tar headers of l by name, without a trailing "/".
func headers(t *testing.T, l *layer.Layer) map[string]*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	hs := map[string]*tar.Header{}
	for _, e := range testenv.ReadTar(t, rc) {
		hs[strings.TrimSuffix(e.Header.Name, "/")] = e.Header
	}
	return hs
}

func TestLayerWith(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	built := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	l := Layer{
		"/etc/shadow":    "root:*:::::::\n",
		"/home/nonroot/": "",
		"/app":           "elf",
		"/old":           "1969",
		"/bin/sh":        Symlink("busybox"),
		"/bin/busybox":   "plain",
		"/bin/hard":      Hardlink("bin/busybox"),
		"/var/gone":      Whiteout,
		"/var/cache":     Opaque,
	}.With(Attrs{
		"/etc/shadow":    {Mode: 0o640, GID: 42, Gname: "shadow"},
		"/home/nonroot/": {Mode: 0o700, UID: 65532, GID: 65532, Uname: "nonroot", Gname: "nonroot"},
		"/app":           {Mode: 0o755 | fs.ModeSetuid, ModTime: built.Add(999 * time.Millisecond)},
		"/old":           {ModTime: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)},
		"/bin/sh":        {UID: 7, ModTime: built},
		"/bin/busybox":   {Mode: 0o750, GID: 8},
		"/bin/hard":      {UID: 99, ModTime: built},
		"/var/gone":      {ModTime: built},
		"/var/cache":     {Mode: 0o750, ModTime: built},
	})
	type want struct {
		typ      byte
		mode     int64
		uid, gid int
		uname    string
		gname    string
		mtime    time.Time
	}
	wants := map[string]want{
		"etc":          {tar.TypeDir, 0o755, 0, 0, "", "", epoch},
		"etc/shadow":   {tar.TypeReg, 0o640, 0, 42, "", "shadow", epoch},
		"home/nonroot": {tar.TypeDir, 0o700, 65532, 65532, "nonroot", "nonroot", epoch},
		"app":          {tar.TypeReg, 0o4755, 0, 0, "", "", built},
		"old":          {tar.TypeReg, 0o644, 0, 0, "", "", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)},
		"bin/sh":       {tar.TypeSymlink, 0o777, 7, 0, "", "", built},
		"bin/busybox":  {tar.TypeReg, 0o750, 0, 8, "", "", epoch},
		// A hard link has its target's mode, owner and time.
		"bin/hard":               {tar.TypeLink, 0o750, 0, 8, "", "", epoch},
		"var/.wh.gone":           {tar.TypeReg, 0o644, 0, 0, "", "", built},
		"var/cache":              {tar.TypeDir, 0o750, 0, 0, "", "", built},
		"var/cache/.wh..wh..opq": {tar.TypeReg, 0o644, 0, 0, "", "", epoch},
	}
	for _, c := range []layer.Compression{layer.Uncompressed, layer.Gzip, layer.Zstd} {
		t.Run(c.MediaType(), func(t *testing.T) {
			built, err := l.Build(t.Context(), layer.Options{Format: layer.Format{Compression: c}})
			if err != nil {
				t.Fatal(err)
			}
			if built.MediaType() != c.MediaType() {
				t.Errorf("media type %s, want %s", built.MediaType(), c.MediaType())
			}
			hs := headers(t, built)
			for name, w := range wants {
				h, ok := hs[name]
				if !ok {
					t.Errorf("%s: not in the layer", name)
					continue
				}
				got := want{h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime.UTC()}
				if got != w {
					t.Errorf("%s: got %+v, want %+v", name, got, w)
				}
			}
		})
	}
}

// A zero layer.Attr, and a time equal to the layer's, change no byte:
// With only adds what it is given.
func TestWithDefaultsKeepBytes(t *testing.T) {
	plain := Layer{"etc/motd": "hi\n", "tmp/": "", "bin/sh": Symlink("busybox"), "gone": Whiteout}
	for _, tc := range []struct {
		name string
		opts layer.Options
		attr layer.Attr
	}{
		{"zero", layer.Options{}, layer.Attr{}},
		{"epoch", layer.Options{}, layer.Attr{ModTime: time.Unix(0, 0)}},
		{"layer time", layer.Options{Format: layer.Format{ModTime: time.Unix(1e9, 0)}}, layer.Attr{ModTime: time.Unix(1e9, 0)}},
		{"defaults spelled out", layer.Options{Format: layer.Format{Compression: layer.Zstd}}, layer.Attr{Mode: 0o644}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			with := plain.With(Attrs{"etc/motd": tc.attr})
			want, err := plain.Build(t.Context(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := with.Build(t.Context(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest() != want.Digest() || got.DiffID() != want.DiffID() {
				t.Errorf("digest %s diffID %s, want %s %s", got.Digest(), got.DiffID(), want.Digest(), want.DiffID())
			}
		})
	}
}

func TestWithErrors(t *testing.T) {
	for name, l := range map[string]AttrLayer{
		"path not in the layer": Layer{"a": "x"}.With(Attrs{"/a": {Mode: 0o600}}),
		"dir content":           Layer{"a/": "x"}.With(Attrs{"a/": {Mode: 0o700}}),
		"root":                  Layer{"/": ""}.With(Attrs{"/": {}}),
		"time out of range":     Layer{"a": "x"}.With(Attrs{"a": {ModTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := l.Build(context.Background(), layer.Options{}); err == nil || !strings.HasPrefix(err.Error(), "imagetest: ") {
				t.Errorf("Build: %v, want an imagetest error", err)
			}
		})
	}
}

func TestAssertFilesWith(t *testing.T) {
	files := Layer{
		"etc/shadow":    "x",
		"home/nonroot/": "",
		"bin/sh":        Symlink("busybox"),
		"usr/bin/plain": "p",
		"usr/bin/dated": "d",
	}
	img := FromLayers(t, image.Platform{}, files.With(Attrs{
		"etc/shadow":    {Mode: 0o640, GID: 42},
		"home/nonroot/": {Mode: 0o700, UID: 65532, GID: 65532},
		"bin/sh":        {UID: 3},
		"usr/bin/dated": {ModTime: time.Unix(1e9, 0)},
	}))
	r := run(t, func(tb testing.TB) {
		AssertFiles(tb, img, files.With(Attrs{
			"etc/shadow":    {Mode: 0o640, GID: 42},
			"home/nonroot/": {Mode: 0o700, UID: 65532, GID: 65532},
			"bin/sh":        {UID: 3},
			"usr/bin/plain": {},
			// Times are not checked: Flatten does not keep them.
			"usr/bin/dated": {ModTime: time.Unix(2e9, 0)},
		}))
	})
	if len(r.errors) > 0 {
		t.Errorf("AssertFiles of what the image holds reported %q", r.errors)
	}
	r = run(t, func(tb testing.TB) {
		AssertFiles(tb, img, Layer{
			"etc/shadow":    "x",
			"home/nonroot/": "",
			"bin/sh":        Symlink("busybox"),
			"usr/bin/plain": "other",
		}.With(Attrs{
			"etc/shadow":    {Mode: 0o600, GID: 42},
			"home/nonroot/": {UID: 1000, GID: 1000},
			"bin/sh":        {},
			"usr/bin/plain": {Mode: 0o600},
		}))
	})
	want := []string{
		`/bin/sh: got symlink 0777 3:0 -> busybox, want owner 0:0`,
		`/etc/shadow: got file 0640 0:42 1 bytes, want mode 0600`,
		`/home/nonroot: got dir 0700 65532:65532, want owner 1000:1000`,
		`/usr/bin/plain: content got "p", want "other"`,
	}
	if len(r.errors) != 1 {
		t.Fatalf("AssertFiles reported %d errors, want 1: %q", len(r.errors), r.errors)
	}
	if got := r.errors[0][strings.Index(r.errors[0], "\n")+2:]; got != strings.Join(want, "\n\t") {
		t.Errorf("AssertFiles reported\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}
