package rootfs_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/rootfs"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// entry is one tar entry of a test layer: a regular file unless typ says
// otherwise; link is a link's target.
type entry struct {
	name, body string
	typ        byte
	link       string
	mode       int64
}

func dir(name string, mode int64) entry { return entry{name: name, typ: tar.TypeDir, mode: mode} }
func file(name, body string) entry      { return entry{name: name, body: body} }
func hardlink(name, target string) entry {
	return entry{name: name, typ: tar.TypeLink, link: target}
}
func symlink(name, target string) entry { return entry{name: name, typ: tar.TypeSymlink, link: target} }

func tarBytes(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawLayer is a layer of the uncompressed tar data, as a registry may
// serve it: its names are not checked.
func rawLayer(t testing.TB, data []byte) *layer.Layer {
	t.Helper()
	d := digest.FromBytes(data)
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: int64(len(data))}
	l, err := layer.FromBlob(desc, d, func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t testing.TB, layers ...[]entry) *image.Image {
	t.Helper()
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"})
	for _, es := range layers {
		img = img.Append(rawLayer(t, tarBytes(t, es)))
	}
	return img
}

// walked lists what Walk gives, one entry a line:
// "NAME TYPE LINK CONTENT", with the mode of directories.
func walked(t *testing.T, img *image.Image) []string {
	t.Helper()
	var got []string
	err := rootfs.Walk(t.Context(), img, func(h *tar.Header, r io.Reader) error {
		body, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %c %s %s", h.Name, h.Typeflag, h.Linkname, body)
		if h.Typeflag == tar.TypeDir {
			line = fmt.Sprintf("%s %c %o", h.Name, h.Typeflag, h.Mode)
		}
		got = append(got, strings.TrimSpace(line))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWalk(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers [][]entry
		want   []string
	}{{
		name: "whiteout deletes a file and a tree",
		layers: [][]entry{
			{file("etc/passwd", "root"), file("etc/shadow", "x"), dir("opt/", 0o755), file("opt/old/f", "old"), file("keep", "k")},
			{file("etc/.wh.shadow", ""), file("opt/.wh.old", "")},
		},
		want: []string{"etc/passwd 0  root", "opt/ 5 755", "keep 0  k"},
	}, {
		name: "opaque directory hides what lies below, not what its layer adds",
		layers: [][]entry{
			{dir("var/", 0o755), dir("var/cache/", 0o755), file("var/cache/a", "a"), file("var/cache/sub/b", "b"), file("var/log", "l")},
			{dir("var/cache/", 0o700), file("var/cache/.wh..wh..opq", ""), file("var/cache/new", "n")},
		},
		want: []string{"var/ 5 755", "var/log 0  l", "var/cache/ 5 700", "var/cache/new 0  n"},
	}, {
		name: "opaque root",
		layers: [][]entry{
			{file("a", "a"), file("d/b", "b")},
			{file(".wh..wh..opq", ""), file("c", "c")},
		},
		want: []string{"c 0  c"},
	}, {
		name: "a file replaces a directory and hides its contents",
		layers: [][]entry{
			{dir("d/", 0o755), file("d/x", "x"), file("f", "f")},
			{file("d", "now a file")},
		},
		want: []string{"f 0  f", "d 0  now a file"},
	}, {
		name: "a directory replaces a file",
		layers: [][]entry{
			{file("d", "file"), file("e", "e")},
			{dir("d/", 0o750), file("d/x", "x")},
		},
		want: []string{"e 0  e", "d/ 5 750", "d/x 0  x"},
	}, {
		name: "the topmost directory entry's metadata, before what lies beneath",
		layers: [][]entry{
			{dir("data/", 0o700), file("data/x", "x")},
			{dir("data/", 0o750)},
		},
		want: []string{"data/ 5 750", "data/x 0  x"},
	}, {
		name: "a whiteout deletes only what lies below",
		layers: [][]entry{
			{file("a", "old")},
			{file(".wh.a", ""), file("a", "new")},
		},
		want: []string{"a 0  new"},
	}, {
		name: "of one path listed twice in a layer the last counts",
		layers: [][]entry{
			{file("a", "first"), file("a", "second")},
		},
		want: []string{"a 0  second"},
	}, {
		name: "links point at the file itself; a replaced target's link keeps its content",
		layers: [][]entry{
			{file("bin/tool", "v1"), hardlink("bin/alias", "bin/tool"), hardlink("bin/alias2", "bin/alias"), symlink("sh", "/bin/tool")},
			{file("bin/tool", "v2")},
		},
		want: []string{"bin/alias 0  v1", "bin/alias2 1 bin/alias", "sh 2 /bin/tool", "bin/tool 0  v2"},
	}, {
		name: "two links to a deleted file stay one file",
		layers: [][]entry{
			{file("a", "content"), hardlink("b", "a"), hardlink("c", "a")},
			{file(".wh.a", "")},
		},
		want: []string{"b 0  content", "c 1 b"},
	}, {
		name: "a link to a file of a lower layer comes after it",
		layers: [][]entry{
			{file("lib/x.so", "x")},
			{hardlink("lib/x.so.1", "/lib/x.so")},
		},
		want: []string{"lib/x.so 0  x", "lib/x.so.1 1 lib/x.so"},
	}, {
		name: "names are cleaned and kept below the root",
		layers: [][]entry{
			{file("./a", "a"), file("/b", "b"), file("../../c", "c"), file("d//e/../f", "f")},
		},
		want: []string{"a 0  a", "b 0  b", "c 0  c", "d/f 0  f"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := walked(t, imageOf(t, tc.layers...))
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("Walk gives\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestWrite: Write's tar holds what Walk gives, contents included.
func TestWrite(t *testing.T) {
	img := imageOf(t,
		[]entry{dir("etc/", 0o755), file("etc/passwd", "root"), file("a", "content"), hardlink("b", "a"), hardlink("c", "a"), symlink("s", "a")},
		[]entry{file(".wh.a", ""), file("etc/group", "g")},
	)
	var buf bytes.Buffer
	if err := rootfs.Write(t.Context(), &buf, img); err != nil {
		t.Fatal(err)
	}
	var got []string
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Write's output is not a tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%s %c %s %s", h.Name, h.Typeflag, h.Linkname, body)
		if h.Typeflag == tar.TypeDir {
			line = fmt.Sprintf("%s %c %o", h.Name, h.Typeflag, h.Mode)
		}
		got = append(got, strings.TrimSpace(line))
	}
	want := walked(t, img)
	if strings.Join(got, "|") != strings.Join(want, "|") || len(want) != 6 {
		t.Errorf("Write's tar holds\n%q\nWalk gives\n%q", got, want)
	}
}

func TestReadFile(t *testing.T) {
	img := imageOf(t,
		[]entry{dir("etc/", 0o755), file("etc/passwd", "old"), file("etc/shadow", "x"), file("a", "content"), hardlink("b", "a"), hardlink("c", "a"), file("lib/x.so", "x"), symlink("sh", "/bin/busybox"), file("empty", "")},
		[]entry{file(".wh.a", ""), file("etc/passwd", "root"), file("etc/.wh.shadow", ""), hardlink("lib/x.so.1", "lib/x.so")},
	)
	for _, tc := range []struct {
		name, content string
		typ           byte
		link          string
	}{
		{"/etc/passwd", "root", tar.TypeReg, ""},
		{"etc/passwd", "root", tar.TypeReg, ""},
		{"/etc", "", tar.TypeDir, ""},
		{"/empty", "", tar.TypeReg, ""},
		{"/sh", "", tar.TypeSymlink, "/bin/busybox"},
		{"/lib/x.so.1", "x", tar.TypeLink, "lib/x.so"},
		{"/b", "content", tar.TypeReg, ""},   // the first link carries the deleted target
		{"/c", "content", tar.TypeLink, "b"}, // and the second links to it
	} {
		h, data, err := rootfs.ReadFile(t.Context(), img, tc.name)
		if err != nil {
			t.Errorf("ReadFile(%s): %v", tc.name, err)
			continue
		}
		if string(data) != tc.content || h.Typeflag != tc.typ || h.Linkname != tc.link {
			t.Errorf("ReadFile(%s) = %c %q, %q; want %c %q, %q", tc.name, h.Typeflag, h.Linkname, data, tc.typ, tc.link, tc.content)
		}
		if (tc.typ == tar.TypeReg || tc.typ == tar.TypeLink) != (data != nil) {
			t.Errorf("ReadFile(%s): content %v; want nil only for what is not a file", tc.name, data)
		}
	}
	for _, gone := range []string{"/a", "/etc/shadow", "/nope", "/", "/lib"} {
		if _, _, err := rootfs.ReadFile(t.Context(), img, gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%s): %v, want fs.ErrNotExist", gone, err)
		}
	}
}

// TestWalkStops: ErrStopWalk ends the walk without an error, any other
// error from fn comes back as it is.
func TestWalkStops(t *testing.T) {
	img := imageOf(t, []entry{file("a", "a"), file("b", "b")}, []entry{file("c", "c")})
	n := 0
	err := rootfs.Walk(t.Context(), img, func(*tar.Header, io.Reader) error {
		n++
		return layer.ErrStopWalk
	})
	if err != nil || n != 1 {
		t.Errorf("Walk stopped by fn: %d calls, %v; want 1, nil", n, err)
	}
	mine := errors.New("mine")
	n = 0
	err = rootfs.Walk(t.Context(), img, func(*tar.Header, io.Reader) error {
		n++
		return mine
	})
	if err != mine || n != 1 {
		t.Errorf("Walk whose fn fails: %d calls, %v; want 1, the error as it is", n, err)
	}
}

// TestWalkCorruptLayer: a layer whose bytes are not those its digests
// name is refused.
func TestWalkCorruptLayer(t *testing.T) {
	good, bad := tarBytes(t, []entry{file("a", "good")}), tarBytes(t, []entry{file("a", "evil")})
	d := digest.FromBytes(good)
	l, err := layer.FromBlob(ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: int64(len(bad))}, d, func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(bad)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(l)
	err = rootfs.Write(t.Context(), io.Discard, img)
	if !errors.Is(err, layer.ErrDigestMismatch) || !strings.HasPrefix(err.Error(), "rootfs: layer 1") {
		t.Errorf("Write of a corrupt layer: %v; want a rootfs error wrapping layer.ErrDigestMismatch", err)
	}
}

// TestWalkDanglingHardlink: a hard link to a file no layer holds, or
// one a higher layer deleted before the link was made, is an error
// naming the layer, not an entry left out of the filesystem.
func TestWalkDanglingHardlink(t *testing.T) {
	for name, layers := range map[string][][]entry{
		"no target":            {{hardlink("link", "missing")}},
		"target gone":          {{file("a", "x")}, {file(".wh.a", "")}, {hardlink("link", "a")}},
		"target's dir emptied": {{dir("d", 0o755), file("d/a", "x")}, {file("d/.wh..wh..opq", "")}, {hardlink("link", "d/a")}},
		"target is dir":        {{dir("d", 0o755), hardlink("link", "d")}},
	} {
		err := rootfs.Write(t.Context(), io.Discard, imageOf(t, layers...))
		if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), fmt.Sprintf("rootfs: layer %d: hard link /link", len(layers))) {
			t.Errorf("%s: Write: %v; want an error of layer %d wrapping fs.ErrNotExist", name, err, len(layers))
		}
	}
}

// TestWriteStreams: a 64 MiB file goes through Write in a bounded heap.
func TestWriteStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 64 MiB layer")
	}
	const size = 64 << 20
	b := layer.New(layer.Options{})
	if err := b.AddReader("big", io.LimitReader(zeros{}, size), size, layer.Attr{}); err != nil {
		t.Fatal(err)
	}
	l, err := b.Build(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(l)
	var n countWriter
	peak := testenv.PeakHeap(func() { err = rootfs.Write(t.Context(), &n, img) })
	if err != nil || n < size {
		t.Fatalf("Write: %d bytes, %v", n, err)
	}
	if peak > 24<<20 {
		t.Errorf("Write of a %d MiB file peaked at %d MiB of heap; it should stream", size>>20, peak>>20)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
