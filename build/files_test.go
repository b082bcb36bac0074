package build_test

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image/imagetest"
)

// TestRunFileTree adds a host directory tree, bytes and an fs.FS: sorted,
// owned by root, dated Created, modes by the execute bit whatever the
// host's, symlinks inside the tree kept; and the report lists each file.
func TestRunFileTree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := crossBuild(t, dir, "app", "GOARCH=amd64")
	tree := filepath.Join(dir, "kodata")
	writeFiles(t, tree, map[string]string{"a.txt": "a\n", "bin/run.sh": "#!/bin/sh\n", "sub/b.txt": "b\n"})
	os.Chmod(filepath.Join(tree, "a.txt"), 0o600)
	os.Chmod(filepath.Join(tree, "bin/run.sh"), 0o700)
	os.Mkdir(filepath.Join(tree, "empty"), 0o700)
	os.Symlink("a.txt", filepath.Join(tree, "cur"))
	os.Symlink("../a.txt", filepath.Join(tree, "sub/up"))
	fsys := fstest.MapFS{
		"tool":       {Data: []byte("#!/bin/sh\n"), Mode: 0o750},
		"etc/x.conf": {Data: []byte("x=1\n"), Mode: 0o600},
	}
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	r := build.Recipe{
		Binaries: []build.Binary{{Path: bin}},
		Bare:     true,
		Created:  created,
		Files: []build.File{
			{Source: tree, Path: "/srv/kodata"},
			{Data: []byte("k: v\n"), Path: "/etc/app.yaml"},
			{FS: fsys, Path: "/opt/fs"},
		},
	}
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	img := res.Images[0]
	imagetest.AssertFiles(t, img, imagetest.Layer{
		"/app":                   imagetest.Files(t, img)["/app"].Content,
		"/etc/app.yaml":          "k: v\n",
		"/opt/fs/":               "",
		"/opt/fs/tool":           "#!/bin/sh\n",
		"/opt/fs/etc/x.conf":     "x=1\n",
		"/srv/kodata/":           "",
		"/srv/kodata/a.txt":      "a\n",
		"/srv/kodata/bin/run.sh": "#!/bin/sh\n",
		"/srv/kodata/cur":        imagetest.Symlink("a.txt"),
		"/srv/kodata/empty/":     "",
		"/srv/kodata/sub/b.txt":  "b\n",
		"/srv/kodata/sub/up":     imagetest.Symlink("../a.txt"),
	}.With(imagetest.Attrs{
		"/app":                   {Mode: 0o755},
		"/opt/fs/tool":           {Mode: 0o755},
		"/srv/kodata/bin/run.sh": {Mode: 0o755},
	}))
	// Every entry is dated Created, in sorted order.
	for _, l := range img.Layers() {
		var prev string
		err := l.Walk(t.Context(), func(h *tar.Header, _ io.Reader) error {
			if !h.ModTime.Equal(created) {
				t.Errorf("%s dated %s, want %s", h.Name, h.ModTime, created)
			}
			if h.Name < prev && !strings.HasPrefix(prev, h.Name) {
				t.Errorf("%s after %s", h.Name, prev)
			}
			prev = h.Name
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for _, f := range res.Report.Platforms[0].Files {
		paths = append(paths, f.Path+"<"+f.Source)
		if f.Digest == "" || f.Size == 0 {
			t.Errorf("report of %s: no digest or size", f.Path)
		}
	}
	want := []string{
		"/srv/kodata/a.txt<" + filepath.Join(tree, "a.txt"), "/srv/kodata/bin/run.sh<" + filepath.Join(tree, "bin/run.sh"), "/srv/kodata/sub/b.txt<" + filepath.Join(tree, "sub/b.txt"),
		"/etc/app.yaml<", "/opt/fs/etc/x.conf<", "/opt/fs/tool<",
	}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("report files\n%q\nwant\n%q", paths, want)
	}

	// The host's modes and times do not reach the image.
	os.Chmod(filepath.Join(tree, "a.txt"), 0o664)
	os.Chmod(filepath.Join(tree, "bin/run.sh"), 0o755)
	os.Chtimes(filepath.Join(tree, "sub/b.txt"), time.Now(), time.Now().Add(-time.Hour))
	again, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	if again.Artifact.Digest() != res.Artifact.Digest() {
		t.Errorf("other host modes and times give %s, want %s", again.Artifact.Digest(), res.Artifact.Digest())
	}
}

// TestFilesInvalid: a tree with a symlink out of it, or an entry no layer
// holds, and a File with no source or two, are refused before any work.
func TestFilesInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := crossBuild(t, dir, "app", "GOARCH=amd64")
	tree := func(name string, link string) string {
		d := filepath.Join(dir, name)
		writeFiles(t, d, map[string]string{"sub/a.txt": "a"})
		if link != "" {
			if err := os.Symlink(link, filepath.Join(d, "sub", "link")); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	up, abs := tree("up", "../../outside"), tree("abs", "/etc/passwd")
	fifo := tree("fifo", "")
	err := mkfifo(filepath.Join(fifo, "pipe"))
	haveFifo := err == nil
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Fatal(err)
	}
	escaping := fstest.MapFS{"x": {Data: []byte("../../y"), Mode: fs.ModeSymlink}}
	for _, c := range []struct {
		name string
		f    build.File
		says []string
	}{
		{"symlink up", build.File{Source: up, Path: "/data"}, []string{filepath.Join(up, "sub", "link"), "../../outside", "out of the tree"}},
		{"symlink absolute", build.File{Source: abs, Path: "/data"}, []string{filepath.Join(abs, "sub", "link"), "/etc/passwd", "out of the tree"}},
		{"fs symlink", build.File{FS: escaping, Path: "/data"}, []string{"/data/x", "out of the tree"}},
		{"fifo", build.File{Source: fifo, Path: "/data"}, []string{filepath.Join(fifo, "pipe"), "not a regular file, directory or symlink"}},
		{"two sources", build.File{Source: up, Data: []byte("x"), Path: "/data"}, []string{"exactly one of Source", "2 are set"}},
		{"no source", build.File{Path: "/data"}, []string{"exactly one of Source", "0 are set"}},
	} {
		if c.name == "fifo" && !haveFifo {
			continue
		}
		err := build.Recipe{Binaries: []build.Binary{{Path: bin}}, Files: []build.File{c.f}}.Validate()
		if !errors.Is(err, build.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q lacks %q", c.name, err, s)
			}
		}
	}
}
