package imagetest

import (
	"archive/tar"
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

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

func TestWith(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	built := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	l := Layer{
		"/etc/shadow":       With("root:*:::::::\n", Attr{Mode: 0o640, GID: 42, Gname: "shadow"}),
		"/home/nonroot/":    With("", Attr{Mode: 0o700, UID: 65532, GID: 65532, Uname: "nonroot", Gname: "nonroot"}),
		"/app":              With("elf", Attr{Mode: 0o755 | fs.ModeSetuid, ModTime: built.Add(999 * time.Millisecond)}),
		"/old":              With("1969", Attr{ModTime: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)}),
		"/bin/sh":           With(Symlink("busybox"), Attr{UID: 7, ModTime: built}),
		"/bin/busybox":      With("plain", Attr{Mode: 0o750, GID: 8}),
		"/bin/hard":         With(Hardlink("bin/busybox"), Attr{UID: 99, ModTime: built}),
		"/var/gone":         With(Whiteout, Attr{ModTime: built}),
		"/var/cache":        With(Opaque, Attr{Mode: 0o750, ModTime: built}),
		"/srv/replaced.txt": With(With("x", Attr{Mode: 0o600, UID: 1}), Attr{UID: 2}),
	}
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
		// A hard link has its target's mode and owner.
		"bin/hard":               {tar.TypeLink, 0o750, 0, 8, "", "", built},
		"var/.wh.gone":           {tar.TypeReg, 0o644, 0, 0, "", "", built},
		"var/cache":              {tar.TypeDir, 0o750, 0, 0, "", "", built},
		"var/cache/.wh..wh..opq": {tar.TypeReg, 0o644, 0, 0, "", "", epoch},
		"srv/replaced.txt":       {tar.TypeReg, 0o644, 2, 0, "", "", epoch},
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

// A zero Attr, and a time equal to the layer's, change no byte: With
// only adds what it is given.
func TestWithDefaultsKeepBytes(t *testing.T) {
	plain := Layer{"etc/motd": "hi\n", "tmp/": "", "bin/sh": Symlink("busybox"), "gone": Whiteout}
	for _, tc := range []struct {
		name string
		opts layer.Options
		attr Attr
	}{
		{"zero", layer.Options{}, Attr{}},
		{"epoch", layer.Options{}, Attr{ModTime: time.Unix(0, 0)}},
		{"layer time", layer.Options{Format: layer.Format{ModTime: time.Unix(1e9, 0)}}, Attr{ModTime: time.Unix(1e9, 0)}},
		{"defaults spelled out", layer.Options{Format: layer.Format{Compression: layer.Zstd}}, Attr{Mode: 0o644}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			with := Layer{}
			for k, v := range plain {
				with[k] = v
			}
			with["etc/motd"] = With(plain["etc/motd"], tc.attr)
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
	for name, l := range map[string]Layer{
		"bad attributes": {"a": attrPrefix + "{not json\x00x"},
		"no value":       {"a": attrPrefix + "{}"},
		"dir content":    {"a/": With("x", Attr{Mode: 0o700})},
		"root":           {"/": With("", Attr{})},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := l.Build(context.Background(), layer.Options{}); err == nil || !strings.HasPrefix(err.Error(), "imagetest: ") {
				t.Errorf("Build: %v, want an imagetest error", err)
			}
		})
	}
}

func TestAssertFilesWith(t *testing.T) {
	img := FromLayers(t, "", Layer{
		"etc/shadow":    With("x", Attr{Mode: 0o640, GID: 42}),
		"home/nonroot/": With("", Attr{Mode: 0o700, UID: 65532, GID: 65532}),
		"bin/sh":        With(Symlink("busybox"), Attr{UID: 3}),
		"usr/bin/plain": "p",
		"usr/bin/dated": With("d", Attr{ModTime: time.Unix(1e9, 0)}),
	})
	r := run(t, func(tb testing.TB) {
		AssertFiles(tb, img, Layer{
			"etc/shadow":    With("x", Attr{Mode: 0o640, GID: 42}),
			"home/nonroot/": With("", Attr{Mode: 0o700, UID: 65532, GID: 65532}),
			"bin/sh":        With(Symlink("busybox"), Attr{UID: 3}),
			"usr/bin/plain": With("p", Attr{}),
			// Times are not checked: Flatten does not keep them.
			"usr/bin/dated": With("d", Attr{ModTime: time.Unix(2e9, 0)}),
		})
	})
	if len(r.errors) > 0 {
		t.Errorf("AssertFiles of what the image holds reported %q", r.errors)
	}
	r = run(t, func(tb testing.TB) {
		AssertFiles(tb, img, Layer{
			"etc/shadow":    With("x", Attr{Mode: 0o600, GID: 42}),
			"home/nonroot/": With("", Attr{UID: 1000, GID: 1000}),
			"bin/sh":        With(Symlink("busybox"), Attr{}),
			"usr/bin/plain": With("other", Attr{Mode: 0o600}),
		})
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
