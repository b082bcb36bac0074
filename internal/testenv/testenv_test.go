package testenv

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarOf returns a tar stream of hs; a regular file's content is its
// Linkname, which tarOf clears.
func tarOf(t *testing.T, hs ...tar.Header) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		body := ""
		if h.Typeflag == tar.TypeReg {
			body, h.Linkname, h.Size = h.Linkname, "", int64(len(h.Linkname))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestUntar(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	stream := tarOf(t,
		tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777},
		tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		tar.Header{Name: "bin/su", Typeflag: tar.TypeReg, Mode: 0o4755, Linkname: "su"},
		tar.Header{Name: "bin/alias", Typeflag: tar.TypeLink, Linkname: "bin/su"},
		tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "/bin/su"},
		tar.Header{Name: "./etc/motd", Typeflag: tar.TypeReg, Mode: 0o644, Linkname: "hi\n"},
	)
	es := ReadTar(t, bytes.NewReader(stream.Bytes()))
	if len(es) != 6 || string(es[2].Body) != "su" || es[5].Header.Name != "./etc/motd" {
		t.Fatalf("ReadTar: %d entries: %+v", len(es), es)
	}
	Untar(t, stream, dir)
	for name, want := range map[string]fs.FileMode{
		"tmp":      fs.ModeDir | fs.ModeSticky | 0o777,
		"bin/su":   fs.ModeSetuid | 0o755,
		"bin/sh":   fs.ModeSymlink | 0o777,
		"etc/motd": 0o644,
	} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: %v %v, want %v", name, fi.Mode(), err, want)
		}
	}
	a, _ := os.Stat(filepath.Join(dir, "bin/su"))
	b, _ := os.Stat(filepath.Join(dir, "bin/alias"))
	if !os.SameFile(a, b) {
		t.Error("bin/alias is not a hard link to bin/su")
	}
}

// TestUntarEscape checks that no entry writes outside the directory.
func TestUntarEscape(t *testing.T) {
	for name, hs := range map[string][]tar.Header{
		"dotdot":   {{Name: "../x", Typeflag: tar.TypeReg, Linkname: "x"}},
		"absolute": {{Name: "/x", Typeflag: tar.TypeReg, Linkname: "x"}},
		"link":     {{Name: "x", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}},
		"symlink": {
			{Name: "up", Typeflag: tar.TypeSymlink, Linkname: ".."},
			{Name: "up/x", Typeflag: tar.TypeReg, Linkname: "x"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			ft := &fakeTB{TB: t}
			func() {
				defer func() { recover() }() // fakeTB.Fatalf panics to stop Untar
				Untar(ft, tarOf(t, hs...), filepath.Join(parent, "root"))
			}()
			if !ft.failed {
				t.Error("Untar accepted it")
			}
			if _, err := os.Lstat(filepath.Join(parent, "x")); err == nil {
				t.Error("Untar wrote outside the directory")
			}
		})
	}
}

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "golden.json")
	got := map[string]any{"a": "sha256:1", "b": 2}
	if !Golden(t, path, got, true) {
		t.Fatal("Golden fails right after writing the file")
	}
	data, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(data), "}\n") || !strings.Contains(string(data), "\n  \"a\": ") {
		t.Errorf("not indented JSON with a final newline:\n%s", data)
	}
	ft := &fakeTB{TB: t}
	if Golden(ft, path, map[string]any{"a": "sha256:9", "b": 2}, false) || !ft.failed {
		t.Error("Golden accepts a changed value")
	}
	if !strings.Contains(ft.msg, "a: got \"sha256:9\", want \"sha256:1\"") || strings.Contains(ft.msg, "b:") {
		t.Errorf("Golden reports %q; want the key that changed, only", ft.msg)
	}
	ft = &fakeTB{TB: t}
	if Golden(ft, path, map[string]any{"a": "sha256:1"}, false) || !strings.Contains(ft.msg, "b: got nothing, want 2") {
		t.Errorf("Golden misses a missing key: %q", ft.msg)
	}
}

// fakeTB records failures instead of failing the test; Fatal panics, as
// it must not return.
type fakeTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeTB) Helper()             {}
func (f *fakeTB) Logf(string, ...any) {}
func (f *fakeTB) Fatal(args ...any)   { f.Errorf("%s", fmt.Sprint(args...)); panic(f) }
func (f *fakeTB) Fatalf(s string, args ...any) {
	f.Errorf(s, args...)
	panic(f)
}
func (f *fakeTB) Errorf(s string, args ...any) {
	f.failed = true
	f.msg += fmt.Sprintf(s, args...) + "\n"
}
