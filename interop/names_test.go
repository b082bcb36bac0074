package interop

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/testenv"
)

// A layout built with -t ghcr.io/me/app:v1 is tagged as containerd,
// docker and oras tag one: oras, skopeo and umoci find the image by
// DIR:v1, and minimage by DIR:v1 and by the full name (issue 26, item
// 12).
func TestLayoutTagNames(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no image built")
	}
	exe := filepath.Join(t.TempDir(), "minimage")
	if out, err := exec.Command("go", "-C", "..", "build", "-o", exe, "./cmd/minimage").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/minimage: %v\n%s", err, out)
	}
	lay := filepath.Join(t.TempDir(), "layout")
	cmd := exec.Command(exe, "build", "-q", "--platform=linux/amd64", "--bare", "-t", "ghcr.io/me/app:v1", "-o", lay, "./examples/hello")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("minimage build: %v\n%s", err, out)
	}
	l, err := layout.Read(lay)
	if err != nil {
		t.Fatal(err)
	}
	img, err := l.Image(t0(), "ghcr.io/me/app:v1", image.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	want := img.Digest().String()

	t.Run("minimage", func(t *testing.T) {
		for _, ref := range []string{lay + ":v1", lay + ":ghcr.io/me/app:v1"} {
			if out := run(t, exe, "inspect", "--json", ref); !strings.Contains(out, want) {
				t.Errorf("minimage inspect %s does not show %s:\n%s", ref, want, out)
			}
		}
	})
	t.Run("oras", func(t *testing.T) {
		oras := testenv.NeedTool(t, "oras")
		var tree struct{ Digest string }
		out := run(t, oras, "discover", "--format", "json", "--oci-layout", lay+":v1")
		if err := json.Unmarshal([]byte(out), &tree); err != nil || tree.Digest != want {
			t.Errorf("oras discover --oci-layout DIR:v1 finds %q (%v), want %s:\n%s", tree.Digest, err, want, out)
		}
	})
	t.Run("skopeo", func(t *testing.T) {
		skopeo := testenv.NeedTool(t, "skopeo")
		var info struct{ Digest string }
		out := run(t, skopeo, "inspect", "oci:"+lay+":v1")
		if err := json.Unmarshal([]byte(out), &info); err != nil || info.Digest != want {
			t.Errorf("skopeo inspect oci:DIR:v1 finds %q (%v), want %s", info.Digest, err, want)
		}
	})
	t.Run("umoci", func(t *testing.T) {
		umoci := testenv.NeedTool(t, "umoci")
		if out := run(t, umoci, "ls", "--layout", lay); strings.TrimSpace(out) != "v1" {
			t.Errorf("umoci ls: %q, want v1", out)
		}
		bundle := filepath.Join(t.TempDir(), "bundle")
		run(t, umoci, "unpack", "--rootless", "--image", lay+":v1", bundle)
		ents, err := os.ReadDir(filepath.Join(bundle, "rootfs"))
		if err != nil || len(ents) == 0 {
			t.Errorf("umoci unpack --image DIR:v1: rootfs %v (%v)", ents, err)
		}
	})
}
