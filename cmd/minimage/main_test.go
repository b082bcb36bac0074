package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/listing"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/internal/testenv"
)

// minimage runs one command line in-process and returns its exit code,
// stdout and stderr.
func minimage(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return minimageIn(t, "", args...)
}

// minimageIn runs one command line in-process with stdin as its
// standard input.
func minimageIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func mustBuild(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := minimage(t, append([]string{"build", "-q"}, args...)...)
	if code != 0 {
		t.Fatalf("minimage build %q: exit %d\n%s", args, code, errs)
	}
	return out
}

func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// runUnpacked runs argv in a chroot of the unpacked rootfs as uid:gid,
// as a runtime runs an image's entrypoint, and returns what it printed.
func runUnpacked(t *testing.T, rootfs string, uid, gid uint32, argv ...string) string {
	t.Helper()
	out, err := testenv.Chroot(t, rootfs, uid, gid, []string{"PATH=/"}, argv...).CombinedOutput()
	if err != nil {
		t.Fatalf("running %v in %s: %v\n%s", argv, rootfs, err, out)
	}
	return string(out)
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	skopeo, umoci := testenv.NeedTool(t, "skopeo"), testenv.NeedTool(t, "umoci")
	testenv.NeedRoot(t)
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	tarball := filepath.Join(dir, "hello.tar")
	hello := filepath.Join(repoRoot(t), "examples", "hello")

	mustBuild(t, "--zones", "Europe/Paris", "-t", "hello:v1", "-o", layout, hello)
	mustBuild(t, "--zones=Europe/Paris", "--tag=hello:v1", "--output="+tarball, hello)
	for _, p := range []string{layout, tarball} {
		if code, out, errs := minimage(t, "verify", p); code != 0 || !strings.Contains(out, "blobs verified") {
			t.Fatalf("verify %s: exit %d\n%s%s", p, code, out, errs)
		}
	}
	copied := filepath.Join(dir, "copied")
	for _, src := range []string{"oci:" + layout + ":v1", "oci-archive:" + tarball + ":v1", "docker-archive:" + tarball} {
		out, err := exec.Command(skopeo, "copy", "--quiet", src, "oci:"+copied+":x").CombinedOutput()
		if err != nil {
			t.Fatalf("skopeo copy %s: %v\n%s", src, err, out)
		}
	}
	bundle := filepath.Join(dir, "bundle")
	if out, err := exec.Command(umoci, "unpack", "--image", layout+":v1", bundle).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, out)
	}
	out := runUnpacked(t, filepath.Join(bundle, "rootfs"), 65532, 65532, "/hello")
	for _, want := range []string{"hello from minimage", "CA roots: ", "time zone: Europe/Paris, offset at the Unix epoch +01:00", "user: uid 65532 gid 65532", "tmp: writable"} {
		if !strings.Contains(out, want) {
			t.Errorf("the image's entrypoint printed\n%s\nwant a line with %q", out, want)
		}
	}
	if strings.Contains(out, "CA roots: 0 ") {
		t.Errorf("no CA roots in the image:\n%s", out)
	}
}

// TestMultiPlatform builds linux/amd64 and linux/arm64 into one index and
// runs the arm64 entrypoint under qemu in a chroot.
func TestMultiPlatform(t *testing.T) {
	t.Parallel()
	qemu := testenv.NeedTool(t, "qemu-aarch64-static")
	testenv.NeedRoot(t)
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	out := mustBuild(t, "--platform", "linux/amd64,linux/arm64", "--zones", "Europe/Paris", "-o", layout, filepath.Join(repoRoot(t), "examples", "hello"))
	if !strings.HasPrefix(out, "index sha256:") || !strings.Contains(out, "linux/arm64") || !strings.Contains(out, "linux/amd64") {
		t.Fatalf("build printed\n%s", out)
	}
	code, js, errs := minimage(t, "inspect", "--json", layout)
	if code != 0 {
		t.Fatalf("inspect: %s", errs)
	}
	if strings.Count(js, `"platform"`) != 2 {
		t.Fatalf("inspect shows %d platforms:\n%s", strings.Count(js, `"platform"`), js)
	}
	rootfs := filepath.Join(dir, "rootfs")
	extractImage(t, layout, "linux/arm64", rootfs)
	qemuData, err := os.ReadFile(qemu)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "qemu-aarch64-static"), qemuData, 0o755); err != nil {
		t.Fatal(err)
	}
	got := runUnpacked(t, rootfs, 65532, 65532, "/qemu-aarch64-static", "/hello")
	if !strings.Contains(got, "hello from minimage") || !strings.Contains(got, "uid 65532") {
		t.Fatalf("arm64 entrypoint printed:\n%s", got)
	}
}

// extractImage writes the layers of the layout's image for platform into
// dir, as a runtime would.
func extractImage(t *testing.T, layout, platform, dir string) {
	t.Helper()
	lay, err := ref.OpenLocal(layout)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := lay.Images(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		if img.Platform().String() != platform {
			continue
		}
		for _, l := range img.Layers() {
			rc, err := l.Uncompressed(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			testenv.Untar(t, rc, dir)
			rc.Close()
		}
		return
	}
	t.Fatalf("no %s image in %s", platform, layout)
}

func TestBare(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "bare")
	code, _, errs := minimage(t, "build", "--bare", "-o", dir, filepath.Join(repoRoot(t), "examples", "hello"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "runs as 65532:65532") {
		t.Errorf("--bare should say who the image runs as; stderr:\n%s", errs)
	}
	if code, _, errs := minimage(t, "build", "-q", "--bare", "-o", dir, filepath.Join(repoRoot(t), "examples", "hello")); code != 0 || errs != "" {
		t.Errorf("build -q --bare: exit %d, stderr %q; -q silences notes too", code, errs)
	}
	lay, err := ref.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	img, err := lay.Image(t.Context(), "", image.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(img.Layers()); n != 1 {
		t.Fatalf("%d layers, want 1", n)
	}
	var files []string
	if _, _, err := listing.Files(context.Background(), img.Layers()[0], func(e listing.File) error {
		files = append(files, e.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0] != "/hello" {
		t.Errorf("the layer holds %q, want just /hello", files)
	}
	c := img.Config().Config
	if len(c.Entrypoint) != 1 || c.Entrypoint[0] != "/hello" || c.User != "65532:65532" {
		t.Errorf("entrypoint %q user %q", c.Entrypoint, c.User)
	}
}
