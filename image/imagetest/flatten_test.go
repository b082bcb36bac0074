package imagetest

import (
	"archive/tar"
	"context"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// describe turns a flattened filesystem into short strings that a table
// can spell: "dir", "file:content", "symlink:target",
// "hardlink:/target:content".
func describe(files map[string]File) map[string]string {
	m := map[string]string{}
	for p, f := range files {
		switch f.kind() {
		case "file":
			m[p] = "file:" + f.Content
		case "symlink":
			m[p] = "symlink:" + f.Link
		case "hardlink":
			m[p] = "hardlink:" + f.Link + ":" + f.Content
		default:
			m[p] = f.kind()
		}
	}
	return m
}

func TestFlatten(t *testing.T) {
	base := Layer{
		"etc/os-release":     "ID=base\n",
		"etc/motd":           "hello\n",
		"var/cache/a/1":      "one",
		"var/cache/b":        "two",
		"bin/sh":             Symlink("busybox"),
		"bin/busybox":        "\x7fELF",
		"usr/lib/libc.so.6/": "",
	}
	for _, c := range []struct {
		name   string
		layers []Layer
		want   map[string]string
	}{{
		name:   "whiteout file",
		layers: []Layer{base, {"etc/motd": Whiteout}},
		want: map[string]string{
			"/etc": "dir", "/etc/os-release": "file:ID=base\n",
			"/var": "dir", "/var/cache": "dir", "/var/cache/a": "dir", "/var/cache/a/1": "file:one", "/var/cache/b": "file:two",
			"/bin": "dir", "/bin/sh": "symlink:busybox", "/bin/busybox": "file:\x7fELF",
			"/usr": "dir", "/usr/lib": "dir", "/usr/lib/libc.so.6": "dir",
		},
	}, {
		name:   "whiteout directory and literal whiteout names",
		layers: []Layer{base, {"var/cache": Whiteout, "usr/lib/.wh.libc.so.6": ""}},
		want: map[string]string{
			"/etc": "dir", "/etc/os-release": "file:ID=base\n", "/etc/motd": "file:hello\n",
			"/var": "dir", "/bin": "dir", "/bin/sh": "symlink:busybox", "/bin/busybox": "file:\x7fELF",
			"/usr": "dir", "/usr/lib": "dir",
		},
	}, {
		name: "opaque directory keeps its own layer's files",
		layers: []Layer{
			{"var/cache/a/1": "one", "var/cache/b": "two", "var/log": "x"},
			{"var/cache": Opaque, "var/cache/c": "three"},
		},
		want: map[string]string{"/var": "dir", "/var/log": "file:x", "/var/cache": "dir", "/var/cache/c": "file:three"},
	}, {
		name: "whiteout then re-add in a higher layer",
		layers: []Layer{
			{"etc/motd": "old"},
			{"etc/motd": Whiteout},
			{"etc/motd": "new"},
		},
		want: map[string]string{"/etc": "dir", "/etc/motd": "file:new"},
	}, {
		name: "file replaces directory and hides its contents",
		layers: []Layer{
			{"opt/app/bin/run": "run", "opt/app/README": "readme"},
			{"opt/app": "now a file"},
		},
		want: map[string]string{"/opt": "dir", "/opt/app": "file:now a file"},
	}, {
		name: "hard link keeps its content when the target goes",
		layers: []Layer{
			{"app/config": "{}", "app/link": Hardlink("/app/config")},
			{"app/config": Whiteout},
		},
		want: map[string]string{"/app": "dir", "/app/link": "file:{}"},
	}, {
		name:   "hard link",
		layers: []Layer{{"app/config": "{}", "app/z": Hardlink("app/config")}},
		want:   map[string]string{"/app": "dir", "/app/config": "file:{}", "/app/z": "hardlink:/app/config:{}"},
	}, {
		name:   "whiteout of a path that is not there",
		layers: []Layer{{"a": "1"}, {"b": Whiteout, "c/d": Whiteout}},
		want:   map[string]string{"/a": "file:1", "/c": "dir"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			got := describe(Files(t, FromLayers(t, image.Platform{}, specs(c.layers)...)))
			if !maps.Equal(got, c.want) {
				for _, p := range slices.Sorted(maps.Keys(got)) {
					if c.want[p] != got[p] {
						t.Errorf("%s: got %q, want %q", p, got[p], c.want[p])
					}
				}
				for p, w := range c.want {
					if _, ok := got[p]; !ok {
						t.Errorf("%s: missing, want %q", p, w)
					}
				}
			}
		})
	}
}

// The hard link in the table above whose target is /app/config, which
// sorts after /app/link, is turned round by package layer; Flatten must
// still give both paths the content.
func TestFlattenHardlinkTurnedRound(t *testing.T) {
	files := Files(t, FromLayers(t, image.Platform{}, Layer{"b/target": "data", "a/link": Hardlink("b/target")}))
	if files["/a/link"].Content != "data" || files["/b/target"].Content != "data" {
		t.Errorf("got %v and %v, want both with content", files["/a/link"], files["/b/target"])
	}
}

func TestFromFS(t *testing.T) {
	img := FromFS(t, image.Platform{OS: "linux", Architecture: "arm64"},
		fstest.MapFS{
			"usr/bin/app":     {Data: []byte("\x7fELF"), Mode: 0o755},
			"etc/os-release":  {Data: []byte("ID=fixture\n")},
			"etc/ssl/certs/a": {Data: []byte("pem")},
			"lib/ld.so":       {Data: []byte("/usr/lib/ld.so"), Mode: fs.ModeSymlink},
		},
		fstest.MapFS{
			"etc/ssl/.wh..wh..opq": {},
			"etc/ssl/cert.pem":     {Data: []byte("new")},
			"etc/.wh.os-release":   {},
		},
	)
	if got := img.Platform().String(); got != "linux/arm64" {
		t.Errorf("platform %s", got)
	}
	files := Files(t, img)
	if m := files["/usr/bin/app"].Mode; m != 0o755 {
		t.Errorf("/usr/bin/app mode %v, want 0755", m)
	}
	AssertFiles(t, img, Layer{
		"usr/bin/app":      "\x7fELF",
		"lib/ld.so":        Symlink("/usr/lib/ld.so"),
		"etc/ssl/cert.pem": "new",
		"etc/ssl/certs":    Whiteout,
		"etc/os-release":   Whiteout,
	})
}

func TestLayerErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		layer Layer
		want  string
	}{
		{Layer{"/": "x"}, "root"},
		{Layer{"etc/": "content"}, "ends in"},
		{Layer{"a": "file", "a/b": "under a file"}, "not a directory"},
		{Layer{"../x": "climbs"}, "root"},
		{Layer{"link": Hardlink("nowhere")}, "hard link"},
	} {
		_, err := c.layer.Build(ctx, layer.Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "imagetest: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one that says %q", c.layer, err, c.want)
		}
	}
}

func TestFlattenBadHardlink(t *testing.T) {
	// A tar whose hard link points to a file of no layer, as other tools
	// may write, is an error that names the layer.
	l, err := layer.FromTar(context.Background(), strings.NewReader(tarOf(t, "link", "missing")), layer.Options{Format: layer.Format{Compression: layer.Uncompressed}})
	if err != nil {
		t.Skipf("package layer rejects the tar itself: %v", err)
	}
	_, err = Flatten(context.Background(), image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(l))
	if err == nil || !strings.Contains(err.Error(), "imagetest: flatten: rootfs: layer 1: hard link") {
		t.Errorf("error %v", err)
	}
}

// tarOf returns a tar stream of one hard link.
func tarOf(t *testing.T, name, target string) string {
	var b strings.Builder
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Linkname: target, Typeflag: tar.TypeLink, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// specs returns ls as the LayerSpecs FromLayers takes.
func specs(ls []Layer) []LayerSpec {
	out := make([]LayerSpec, len(ls))
	for i, l := range ls {
		out[i] = l
	}
	return out
}
