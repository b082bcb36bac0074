package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/testenv"
)

// alpineLike is the fixture base of recipe 2: a few of alpine's files and
// no CA bundle, so that the bundle in the image is the one recipe 2 adds.
var alpineLike = imagetest.Layer{
	"/etc/os-release":     "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.0\n",
	"/etc/alpine-release": "3.20.0\n",
	"/etc/passwd":         "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n",
	"/etc/group":          "root:x:0:root\nnobody:x:65534:\n",
	"/bin/":               "",
	"/tmp/":               "",
}

// built is what one Build of the three recipes made, shared by the tests.
type built struct {
	bin, out string
	recipes  map[string]Recipe
}

func buildRecipes(t *testing.T) built {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "../hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ../hello: %v\n%s", err, out)
	}
	p := image.Platform{OS: "linux", Architecture: runtime.GOARCH}
	baseDir := imagetest.WriteLayout(t, imagetest.FromLayers(t, p, alpineLike), "alpine:3.20")
	out := filepath.Join(dir, "layout")
	rs, err := Build(t.Context(), Options{
		Binary:   bin,
		Base:     baseDir + ":alpine:3.20",
		Out:      out,
		Platform: p,
		Zones:    []string{"Europe/Paris"},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := built{bin: bin, out: out, recipes: map[string]Recipe{}}
	for _, r := range rs {
		b.recipes[r.Tag] = r
	}
	return b
}

func TestRecipes(t *testing.T) {
	b := buildRecipes(t)
	binSize := fileSize(t, b.bin)

	t.Run("layout", func(t *testing.T) {
		lay, err := layout.Read(b.out)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(lay.Tags(), " "), "scratch on-base default"; got != want {
			t.Errorf("layout tags %q, want %q", got, want)
		}
		for tag, r := range b.recipes {
			img, err := lay.Image(t.Context(), tag, image.Platform{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Digest() != r.Image.Digest() {
				t.Errorf("%s: layout holds %s, Build returned %s", tag, img.Digest(), r.Image.Digest())
			}
			// The sizes, recounted from what is on disk.
			m := img.Manifest()
			want := m.Config.Size + int64(len(img.RawManifest()))
			for _, d := range m.Layers {
				want += d.Size
			}
			if r.Sizes.Compressed != want {
				t.Errorf("%s: compressed %d, the layout's blobs add up to %d", tag, r.Sizes.Compressed, want)
			}
			if got, err := SizesOf(context.Background(), img); err != nil || got != r.Sizes {
				t.Errorf("%s: sizes %+v, recounted from the tar streams %+v (%v)", tag, r.Sizes, got, err)
			}
			if u := r.Sizes.Uncompressed; u < binSize || u%512 != 0 {
				t.Errorf("%s: uncompressed %d: want whole tar blocks, more than the binary's %d bytes", tag, u, binSize)
			}
		}
	})

	t.Run("scratch", func(t *testing.T) {
		img := b.recipes[TagScratch].Image
		layers := img.Layers()
		if len(layers) != 1 {
			t.Fatalf("%d layers, want 1", len(layers))
		}
		files := imagetest.Files(t, img)
		if len(files) != 1 {
			t.Errorf("the image holds %d paths, want only %s: %v", len(files), BinaryPath, files)
		}
		want, err := os.ReadFile(b.bin)
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := files[BinaryPath]; !ok || f.Content != string(want) || f.Mode != 0o755 || f.UID != 0 {
			t.Errorf("%s in the image: %v, want the binary, 0755, owned by 0:0", BinaryPath, f)
		}
		c := img.Config().Config
		if len(c.Entrypoint) != 1 || c.Entrypoint[0] != BinaryPath || c.User != "65532:65532" {
			t.Errorf("entrypoint %q user %q, want [%s] and 65532:65532", c.Entrypoint, c.User, BinaryPath)
		}
	})

	t.Run("on-base", func(t *testing.T) {
		r := b.recipes[TagOnBase]
		if r.Base == nil || r.Base.Layers != 1 || r.Sizes.Layers != 3 {
			t.Fatalf("base %+v, image %+v: want the base's layer, the CA bundle and the binary", r.Base, r.Sizes)
		}
		imagetest.AssertFiles(t, r.Image, imagetest.Layer{"/etc/alpine-release": "3.20.0\n"})
		if got := r.Image.Annotations()["org.opencontainers.image.base.name"]; got != "alpine:3.20" {
			t.Errorf("base name annotation %q, want alpine:3.20", got)
		}
		if u := r.Image.Config().Config.User; u != image.DefaultUser {
			t.Errorf("user %q, want %s", u, image.DefaultUser)
		}
	})

	t.Run("default", func(t *testing.T) {
		files := imagetest.Files(t, b.recipes[TagDefault].Image)
		for _, p := range []string{"/etc/passwd", "/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo/Europe/Paris", "/tmp", BinaryPath} {
			if _, ok := files[p]; !ok {
				t.Errorf("the default image has no %s", p)
			}
		}
	})

	t.Run("table", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteTable(&buf, []Recipe{b.recipes[TagScratch], b.recipes[TagOnBase], b.recipes[TagDefault]}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 2+3+2 {
			t.Errorf("table has %d lines, want a header, 3 recipes and 2 rows for the base:\n%s", len(lines), buf.String())
		}
		for _, want := range []string{"`scratch`", "`on-base`", "`default`", "of which the base", strconv.FormatInt(b.recipes[TagDefault].Sizes.Compressed, 10) + " B"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, buf.String())
			}
		}
	})

	t.Run("probe", func(t *testing.T) { probe(t, b) })
}

// probe runs examples/hello in each image, unpacked by umoci, as a
// container runtime would: in a chroot of the rootfs, as the image's user.
// It shows what each recipe gives a Go program: the bare image has no CA
// roots and no zones, the one on a base has roots but no zones, the
// default has both.
func probe(t *testing.T, b built) {
	skopeo, umoci := testenv.NeedTool(t, "skopeo"), testenv.NeedTool(t, "umoci")
	testenv.NeedRoot(t)
	roots := regexp.MustCompile(`CA roots: (\d+) certificates`)
	for _, tc := range []struct {
		tag   string
		certs bool
		want  []string // lines the probe prints
		fail  bool     // exits non-zero (no zone)
	}{
		{TagScratch, false, []string{"CA roots: 0 certificates", "time zone: unknown time zone Europe/Paris"}, true},
		{TagOnBase, true, []string{"time zone: unknown time zone Europe/Paris"}, true},
		{TagDefault, true, []string{"time zone: Europe/Paris, offset at the Unix epoch +01:00", "user: uid 65532 gid 65532", "tmp: writable"}, false},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			ref := b.out + ":" + tc.tag
			if out, err := exec.Command(skopeo, "inspect", "oci:"+ref).CombinedOutput(); err != nil {
				t.Fatalf("skopeo inspect oci:%s: %v\n%s", ref, err, out)
			}
			bundle := filepath.Join(t.TempDir(), "bundle")
			if out, err := exec.Command(umoci, "unpack", "--image", ref, bundle).CombinedOutput(); err != nil {
				t.Fatalf("umoci unpack %s: %v\n%s", ref, err, out)
			}
			c := b.recipes[tc.tag].Image.Config().Config
			uid, gid := parseUser(t, c.User)
			outb, err := testenv.Chroot(t, filepath.Join(bundle, "rootfs"), uid, gid, []string{"PATH=/"}, c.Entrypoint...).CombinedOutput()
			out := string(outb)
			t.Logf("%s as %s (%v):\n%s", c.Entrypoint, c.User, err, out)
			var exit *exec.ExitError
			switch {
			case tc.fail && !errors.As(err, &exit):
				t.Errorf("the probe should exit non-zero, got %v:\n%s", err, out)
			case !tc.fail && err != nil:
				t.Errorf("the probe failed: %v:\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the probe printed\n%s\nwant a line with %q", out, w)
				}
			}
			m := roots.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("the probe printed no CA roots line:\n%s", out)
			}
			if n, _ := strconv.Atoi(m[1]); (n > 0) != tc.certs {
				t.Errorf("the probe found %d CA roots; want some: %v", n, tc.certs)
			}
		})
	}
}

// parseUser parses a numeric "UID:GID" image user.
func parseUser(t *testing.T, u string) (uint32, uint32) {
	t.Helper()
	us, gs, _ := strings.Cut(u, ":")
	uid, err1 := strconv.ParseUint(us, 10, 32)
	gid, err2 := strconv.ParseUint(gs, 10, 32)
	if err1 != nil || err2 != nil {
		t.Fatalf("image user %q: want numeric UID:GID", u)
	}
	return uint32(uid), uint32(gid)
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
