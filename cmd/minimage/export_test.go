package main

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/layer"
)

// exportedImage reads an exported tar back as a one-layer image, so that
// imagetest can flatten it, and checks the order every extractor needs:
// a directory before what it holds, a hard link after its target, no
// path twice and no whiteout file.
func exportedImage(t *testing.T, data []byte, p image.Platform) *image.Image {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	seen := map[string]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the export is not a tar: %v", err)
		}
		p := path.Clean("/" + h.Name)
		if _, dup := seen[p]; dup {
			t.Errorf("%s is in the export twice", p)
		}
		if strings.HasPrefix(path.Base(p), ".wh.") {
			t.Errorf("the export holds the whiteout %s", p)
		}
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if typ, ok := seen[d]; ok && typ != tar.TypeDir {
				t.Errorf("%s comes after its parent %s, which is not a directory", p, d)
			}
		}
		if h.Typeflag == tar.TypeDir {
			for q := range seen {
				if strings.HasPrefix(q, p+"/") {
					t.Errorf("directory %s comes after %s, which it holds", p, q)
				}
			}
		}
		if h.Typeflag == tar.TypeLink {
			if typ, ok := seen[path.Clean("/"+h.Linkname)]; !ok || typ != tar.TypeReg {
				t.Errorf("hard link %s comes before its target %s, or the target is not a file", p, h.Linkname)
			}
		}
		seen[p] = h.Typeflag
	}
	l, err := layer.FromTar(t.Context(), bytes.NewReader(data), layer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return image.New(p).Append(l)
}

// whiteoutImage is an image whose upper layers delete, hide and replace
// what the lower ones hold, hard links across them included.
func whiteoutImage(t *testing.T) *image.Image {
	return imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: "amd64"},
		imagetest.Layer{
			"/etc/passwd":         "root:x:0:0::/root:/bin/sh\n",
			"/etc/shadow":         "root:*:1::::::\n",
			"/var/cache/a":        "a",
			"/var/cache/sub/b":    "b",
			"/var/log/keep":       "keep",
			"/opt/old/file":       "old",
			"/usr/bin/tool":       "tool v1",
			"/usr/bin/tool-alias": imagetest.Hardlink("/usr/bin/tool"),
			"/usr/lib/libx.so":    "libx",
			"/usr/lib/libx.so.1":  imagetest.Hardlink("/usr/lib/libx.so"),
			"/data/":              "",
			"/data/x":             "x",
			"/home/":              "",
			"/bin/sh":             imagetest.Symlink("/usr/bin/tool"),
		}.With(imagetest.Attrs{
			"/etc/shadow":   {Mode: 0o640, GID: 42},
			"/usr/bin/tool": {Mode: 0o755},
			"/data/":        {Mode: 0o700, UID: 1000, GID: 1000},
		}),
		imagetest.Layer{
			"/etc/shadow":      imagetest.Whiteout,
			"/var/cache/":      imagetest.Opaque,
			"/var/cache/new":   "new",
			"/opt/old":         imagetest.Whiteout,
			"/usr/bin/tool":    "tool v2",          // the alias keeps v1
			"/usr/lib/libx.so": imagetest.Whiteout, // libx.so.1 keeps libx
			"/data/":           "",
			"/home/":           "",
		}.With(imagetest.Attrs{
			"/usr/bin/tool": {Mode: 0o755},
			"/data/":        {Mode: 0o750, UID: 1000, GID: 1000},
			"/home/":        {Mode: 0o711},
		}),
		imagetest.Layer{
			"/etc/passwd":     "root:x:0:0::/root:/sbin/nologin\n",
			"/opt/old/file":   "reborn",
			"/usr/bin/tool2":  "t2",
			"/usr/bin/tool2b": imagetest.Hardlink("/usr/bin/tool2"),
			"/var/log":        imagetest.Whiteout,
		},
	)
}

func TestExport(t *testing.T) {
	t.Parallel()
	img := whiteoutImage(t)
	dir := imagetest.WriteLayout(t, img, "v1")
	out := filepath.Join(t.TempDir(), "rootfs.tar")
	if code, _, errs := minimage(t, "export", dir, "-o", out); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errs)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := exportedImage(t, data, img.Platform())
	imagetest.EqualFiles(t, got, img)
	files := imagetest.Files(t, got)
	for p, want := range map[string]string{"/usr/bin/tool": "tool v2", "/usr/bin/tool-alias": "tool v1", "/usr/lib/libx.so.1": "libx", "/opt/old/file": "reborn"} {
		if files[p].Content != want {
			t.Errorf("%s holds %q, want %q", p, files[p].Content, want)
		}
	}
	for _, gone := range []string{"/etc/shadow", "/var/cache/a", "/var/cache/sub", "/var/log", "/usr/lib/libx.so"} {
		if _, ok := files[gone]; ok {
			t.Errorf("%s was deleted by a whiteout, and is in the export", gone)
		}
	}
	if m := files["/data"].Mode; m != fs.ModeDir|0o750 {
		t.Errorf("/data is %v, want the upper layer's drwxr-x---", m)
	}

	// To stdout, the same bytes.
	code, stdout, errs := minimage(t, "export", dir+":v1", "-o", "-")
	if code != 0 || stdout != string(data) {
		t.Errorf("export -o -: exit %d, %d bytes (file: %d)\n%s", code, len(stdout), len(data), errs)
	}
}

// TestExportOpaqueRoot: an opaque whiteout at the root hides every
// lower layer.
func TestExportOpaqueRoot(t *testing.T) {
	t.Parallel()
	img := imagetest.FromLayers(t, image.Platform{},
		imagetest.Layer{"/a": "a", "/d/b": "b"},
		imagetest.Layer{"/.wh..wh..opq": "", "/c": "c"},
	)
	code, out, errs := minimage(t, "export", imagetest.WriteLayout(t, img, "v1"), "-o", "-")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errs)
	}
	files := imagetest.Files(t, exportedImage(t, []byte(out), img.Platform()))
	if len(files) != 1 || files["/c"].Content != "c" {
		t.Errorf("export of an image whose top layer is opaque at / holds %v, want /c alone", files)
	}
}

// TestExportCarriedLinks: two hard links to a file a higher layer
// deletes keep its content, and stay one file.
func TestExportCarriedLinks(t *testing.T) {
	t.Parallel()
	img := imagetest.FromLayers(t, image.Platform{},
		imagetest.Layer{"/a": "content", "/b": imagetest.Hardlink("/a"), "/c": imagetest.Hardlink("/a")},
		imagetest.Layer{"/a": imagetest.Whiteout},
	)
	code, stdout, errs := minimage(t, "export", imagetest.WriteTarball(t, img, "x:v1"), "-o", "-")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errs)
	}
	tr := tar.NewReader(strings.NewReader(stdout))
	var got []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(tr)
		got = append(got, h.Name+" "+string(h.Typeflag)+" "+h.Linkname+" "+string(body))
	}
	want := []string{"b 0  content", "c 1 b "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("export holds %q, want %q", got, want)
	}
}

func TestExportRefuses(t *testing.T) {
	t.Parallel()
	img := imagetest.Image(t, imagetest.Spec{Seed: 1})
	ix := imagetest.Index(t, imagetest.Spec{Seed: 1, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}})
	one, multi := imagetest.WriteLayout(t, img, "v1"), imagetest.WriteLayout(t, ix, "v1")
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"no output", []string{one}, "-o FILE.tar"},
		{"index", []string{multi, "-o", "-"}, "linux/amd64, linux/arm64; pick one with --platform"},
		{"missing platform", []string{multi, "--platform", "linux/s390x", "-o", "-"}, "it has linux/amd64, linux/arm64"},
		{"bad platform", []string{multi, "--platform", "linux", "-o", "-"}, "linux/amd64"},
	} {
		code, _, errs := minimage(t, append([]string{"export"}, tc.args...)...)
		if code == 0 || !strings.Contains(errs, tc.says) {
			t.Errorf("%s: exit %d, %q; want it to say %q", tc.name, code, errs, tc.says)
		}
	}
	code, out, errs := minimage(t, "export", multi, "--platform", "linux/arm64", "-o", "-")
	if code != 0 {
		t.Fatalf("export --platform linux/arm64: exit %d\n%s", code, errs)
	}
	arm := ix.Images()[1]
	imagetest.EqualFiles(t, exportedImage(t, []byte(out), arm.Platform()), arm)
}

// TestExportNotToTerminal: export and build -o - refuse a terminal (a character device),
// but not /dev/null.
func TestExportNotToTerminal(t *testing.T) {
	t.Parallel()
	dir := imagetest.WriteLayout(t, imagetest.Image(t, imagetest.Spec{Seed: 1}), "v1")
	tty, err := os.OpenFile("/dev/zero", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer tty.Close()
	var errb bytes.Buffer
	for _, args := range [][]string{{"export", dir, "-o", "-"}, {"build", "-q", "-o", "-", helloBinary(t)}} {
		errb.Reset()
		if code := run(t.Context(), args, nil, tty, &errb); code != 1 || !strings.Contains(errb.String(), "stdout, which is a terminal") {
			t.Errorf("%s -o - to a character device: exit %d, %q", args[0], code, errb.String())
		}
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	errb.Reset()
	if code := run(t.Context(), []string{"export", dir, "-o", "-"}, nil, null, &errb); code != 0 {
		t.Errorf("export -o - > /dev/null: exit %d, %q", code, errb.String())
	}
}
