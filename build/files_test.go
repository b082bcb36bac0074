package build_test

import (
	"archive/tar"
	"crypto/sha1"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/opencontainers/go-digest"
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

// changingFS is a tree whose files hold their content in MapFS on the
// first open and their content in later, if any, from the second on; it
// counts the opens and the bytes read of each file.
type changingFS struct {
	fstest.MapFS
	later map[string]string
	mu    sync.Mutex
	opens map[string]int
	read  map[string]int
}

func (c *changingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	n := c.opens[name]
	c.mu.Unlock()
	if s, ok := c.later[name]; ok && n > 1 {
		return fstest.MapFS{name: {Data: []byte(s)}}.Open(name)
	}
	f, err := c.MapFS.Open(name)
	return &countingFile{File: f, fs: c, name: name}, err
}

// countingFile counts the bytes read of a changingFS's file.
type countingFile struct {
	fs.File
	fs   *changingFS
	name string
}

func (f *countingFile) Read(b []byte) (int, error) {
	n, err := f.File.Read(b)
	f.fs.mu.Lock()
	f.fs.read[f.name] += n
	f.fs.mu.Unlock()
	return n, err
}

// TestRunFilesReadOnce: each regular file of Files is read once, for its
// layer and its report together, and the report describes the bytes in
// the layer even when a file changes between two reads.
func TestRunFilesReadOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := crossBuild(t, dir, "app", "GOARCH=amd64")
	host := filepath.Join(dir, "host.conf")
	writeFiles(t, dir, map[string]string{"host.conf": "h=1\n"})
	fsys := &changingFS{
		MapFS: fstest.MapFS{"a.txt": {Data: []byte("first\n")}, "sub/b.txt": {Data: []byte("bbb\n")}},
		later: map[string]string{"a.txt": "later\n"}, // the same size
		opens: map[string]int{}, read: map[string]int{},
	}
	r := build.Recipe{
		Binaries: []build.Binary{{Path: bin}},
		Bare:     true,
		Files: []build.File{
			{Data: []byte("c\n"), Path: "/srv/sub/c.txt"}, // in the tree's directory
			{FS: fsys, Path: "/srv"},
			{Data: []byte("k: v\n"), Path: "/etc/app.yaml"},
			{Source: host, Path: "/etc/host.conf"},
		},
	}
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range fsys.MapFS {
		if fsys.opens[name] != 1 || fsys.read[name] != len(f.Data) {
			t.Errorf("%s opened %d times, %d bytes read; want once, %d bytes", name, fsys.opens[name], fsys.read[name], len(f.Data))
		}
	}
	inImage := imagetest.Files(t, res.Images[0])
	reports := res.Report.Platforms[0].Files
	// In the order of Files, a tree's in its walk order.
	var paths []string
	for _, fr := range reports {
		paths = append(paths, fr.Path+"<"+fr.Source)
	}
	want := []string{"/srv/sub/c.txt<", "/srv/a.txt<", "/srv/sub/b.txt<", "/etc/app.yaml<", "/etc/host.conf<" + host}
	if !slices.Equal(paths, want) {
		t.Errorf("report files\n%q\nwant\n%q", paths, want)
	}
	for _, fr := range reports {
		f, ok := inImage[fr.Path]
		if !ok {
			t.Errorf("%s reported, not in the image", fr.Path)
			continue
		}
		if sum := sha1.Sum([]byte(f.Content)); fr.Digest != digest.FromString(f.Content) || fr.SHA1 != sum || fr.Size != int64(len(f.Content)) {
			t.Errorf("%s reported as %s, sha1 %x, %d bytes; the image holds %q (%s)", fr.Path, fr.Digest, fr.SHA1, fr.Size, f.Content, digest.FromString(f.Content))
		}
	}
}

// TestRunFilesReplaceReportsTheKeptFile checks that with
// Recipe.Layer.Replace, where trees nested in each other, or a tree and
// a file, hold one path, the report names the File whose file the layer
// keeps (the last of them in Files) and hashes what the layer holds.
func TestRunFilesReplaceReportsTheKeptFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := crossBuild(t, dir, "app", "GOARCH=amd64")
	writeFiles(t, dir, map[string]string{
		"outer/sub/x": "from the outer tree\n",
		"inner/x":     "from the inner tree\n",
	})
	outer, inner := filepath.Join(dir, "outer"), filepath.Join(dir, "inner")
	for _, c := range []struct {
		name   string
		files  []build.File
		source string // of /srv/sub/x
	}{
		{"inner last", []build.File{{Source: outer, Path: "/srv"}, {Source: inner, Path: "/srv/sub"}}, filepath.Join(inner, "x")},
		{"outer last", []build.File{{Source: inner, Path: "/srv/sub"}, {Source: outer, Path: "/srv"}}, filepath.Join(outer, "sub", "x")},
		{"file last", []build.File{{Source: outer, Path: "/srv"}, {Data: []byte("data\n"), Path: "/srv/sub/x"}}, ""},
		{"tree last", []build.File{{Data: []byte("data\n"), Path: "/srv/sub/x"}, {Source: outer, Path: "/srv"}}, filepath.Join(outer, "sub", "x")},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := build.Recipe{Binaries: []build.Binary{{Path: bin}}, Bare: true, Files: c.files}
			r.Layer.Replace = true
			res, err := build.Run(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			kept := imagetest.Files(t, res.Images[0])["/srv/sub/x"].Content
			var got []build.FileReport
			for _, fr := range res.Report.Platforms[0].Files {
				if fr.Path == "/srv/sub/x" {
					got = append(got, fr)
				}
			}
			if len(got) != 1 || got[0].Source != c.source || got[0].Digest != digest.FromString(kept) {
				t.Errorf("reports of /srv/sub/x: %+v; want one, from %q, of the %q the layer holds", got, c.source, kept)
			}
		})
	}
}
