package main

import (
	"github.com/minimage/minimage/image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/internal/testenv"
)

// TestMessages: what a user who gives the wrong thing reads (issue 16,
// "errors seen that need rewording"): what the input is not, what was
// expected, and what there is instead.
func TestMessages(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	dir := t.TempDir()
	multi := imagetest.WriteLayout(t, imagetest.Index(t, imagetest.Spec{Seed: 1, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}}), "v1")
	one := imagetest.WriteTarball(t, imagetest.Image(t, imagetest.Spec{Seed: 1}), "one:v1")
	gz := filepath.Join(dir, "image.tar.gz")
	os.WriteFile(gz, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, 0o644)
	empty := filepath.Join(dir, "empty.tar")
	os.WriteFile(empty, nil, 0o644)
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	for _, tc := range []struct {
		name string
		args []string
		says []string
	}{
		{"inspect go.mod", []string{"inspect", filepath.Join(root, "go.mod")}, []string{
			"go.mod is not an image: it is neither an OCI layout directory nor a tar file (it is text that starts \"module github.com/minima…\")",
			"give an OCI layout directory or an image tarball"}},
		{"verify go.mod", []string{"verify", filepath.Join(root, "go.mod")}, []string{"go.mod is not an image"}},
		{"inspect a directory", []string{"inspect", root}, []string{"it has no oci-layout file; give the directory that holds oci-layout and index.json"}},
		{"inspect gzip", []string{"inspect", gz}, []string{"gzip-compressed; decompress it first"}},
		{"inspect empty", []string{"inspect", empty}, []string{"empty.tar is not an image", "it is empty"}},
		{"inspect missing", []string{"inspect", filepath.Join(dir, "nope")}, []string{"nope does not exist; give an OCI layout directory or an image tarball"}},
		{"inspect platform", []string{"inspect", "--platform", "linux/s390x", multi}, []string{"no image for linux/s390x", "it has linux/amd64, linux/arm64"}},
		{"export platform", []string{"export", "--platform", "linux/s390x", "-o", "-", multi}, []string{"no image for linux/s390x", `it has linux/amd64, linux/arm64`}},
		{"base platform", []string{"build", "-q", "--base", one, "--platform", "linux/" + other, "-o", filepath.Join(dir, "o"), root + "/examples/hello"}, []string{"no image for linux/" + other, `it has linux/amd64`}},
		{"platform parts", []string{"pull", "--platform", "linux", "-o", dir, "localhost:1/x"}, []string{`platform "linux": want OS/ARCH or OS/ARCH/VARIANT, such as linux/amd64`}},
		{"binary go.mod", []string{"build", "-q", "-o", filepath.Join(dir, "o"), filepath.Join(root, "go.mod")}, []string{
			`not an ELF executable: it is a text file ("module github.com/minima…"), not a compiled program; give a program built with GOOS=linux`}},
		{"export to a directory", []string{"export", "-o", dir, one}, []string{"-o " + dir + " is a directory; give a file name, such as " + filepath.Join(dir, "rootfs.tar")}},
		{"export to nowhere", []string{"export", "-o", filepath.Join(dir, "no", "x.tar"), one}, []string{filepath.Join(dir, "no") + " does not exist; create it first"}},
	} {
		code, _, errs := minimage(t, tc.args...)
		if code == 0 {
			t.Errorf("%s: exit 0", tc.name)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(errs, s) {
				t.Errorf("%s: %q\nwant it to say %q", tc.name, errs, s)
			}
		}
		for _, bad := range []string{"has 1 parts", "is nothing", "bad magic number", ".tmp-", `tag ""`, "unexpected EOF"} {
			if strings.Contains(errs, bad) {
				t.Errorf("%s: %q says %q", tc.name, errs, bad)
			}
		}
	}
}

// TestNoTemporaryNames: a full disk while writing a tarball, a layout or
// an export names the output, never the temporary file it would have
// been renamed from, and leaves none behind.
func TestNoTemporaryNames(t *testing.T) {
	t.Parallel()
	testenv.NeedRoot(t)
	full := filepath.Join(t.TempDir(), "full")
	os.Mkdir(full, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", full).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", full).Run()
	hello := helloBinary(t)
	src := imagetest.WriteLayout(t, imagetest.Image(t, imagetest.Spec{Seed: 1, Files: 4, Size: 100 << 10, Compression: 2}), "v1")
	for _, tc := range []struct {
		args []string
		out  string
	}{
		{[]string{"build", "-q", "-o", filepath.Join(full, "x.tar"), hello}, filepath.Join(full, "x.tar")},
		{[]string{"build", "-q", "-o", filepath.Join(full, "layout"), hello}, filepath.Join(full, "layout")},
		{[]string{"export", "-o", filepath.Join(full, "rootfs.tar"), src}, filepath.Join(full, "rootfs.tar")},
	} {
		code, _, errs := minimage(t, tc.args...)
		if code != 1 || !strings.Contains(errs, "no space left on device") || strings.Contains(errs, ".tmp-") || !strings.Contains(errs, tc.out) {
			t.Errorf("%q: exit %d, %q; want the output's name and no temporary one", tc.args, code, errs)
		}
	}
	filepath.Walk(full, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), ".tmp-") {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}
