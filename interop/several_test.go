package interop

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
)

// One tarball of several images, from build ./examples/...: podman load
// loads every one under its NAME:TAG, and skopeo reads each by name from
// the docker archive (issue 23).
func TestSeveralImagesLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no image built")
	}
	exe := filepath.Join(t.TempDir(), "minimage")
	if out, err := exec.Command("go", "-C", "..", "build", "-o", exe, "./cmd/minimage").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/minimage: %v\n%s", err, out)
	}
	tar := filepath.Join(t.TempDir(), "images.tar")
	cmd := exec.Command(exe, "build", "-q", "--platform=linux/amd64", "--bare", "--tags", "v1", "-o", tar, "./examples/hello", "./examples/release")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("minimage build: %v\n%s", err, out)
	}
	names := []string{"hello", "release"}
	t.Run("podman", func(t *testing.T) {
		podman := testenv.NeedTool(t, "podman")
		store := []string{"--storage-driver", "vfs", "--root", t.TempDir(), "--runroot", t.TempDir()}
		if out, err := exec.Command(podman, append(store, "info")...).CombinedOutput(); err != nil {
			t.Skipf("podman cannot run here: %v\n%s", err, out)
		}
		run(t, podman, append(store, "load", "-i", tar)...)
		out := run(t, podman, append(store, "images", "--format", "{{.Repository}}:{{.Tag}}")...)
		for _, n := range names {
			if !strings.Contains(out, "/"+n+":v1") {
				t.Errorf("podman load of the tarball has no %s:v1:\n%s", n, out)
			}
		}
	})
	t.Run("skopeo", func(t *testing.T) {
		skopeo := testenv.NeedTool(t, "skopeo")
		for _, n := range names {
			out := run(t, skopeo, "inspect", "--raw", "docker-archive:"+tar+":"+n+":v1")
			if !strings.Contains(out, "layers") {
				t.Errorf("skopeo inspect docker-archive:%s:%s:v1 shows no manifest:\n%s", tar, n, out)
			}
		}
	})
}
