package interop

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/testenv"
)

// TestInPlaceTarball loads a tarball that build.Run wrote in place (issue
// 27, item 2: the layers first, the binary's compressed straight into its
// entry, then configs, manifests, index.json and manifest.json), one
// image and an index of two, with every tool here that reads archives:
// podman load, crane, skopeo's oci-archive: and docker-archive:, and
// umoci on the layout it holds. Each checks the digest it finds.
func TestInPlaceTarball(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	arm := filepath.Join(filepath.Dir(f.hello), "hello-arm64")
	tars := map[string]image.Artifact{}
	for name, bins := range map[string][]build.Binary{
		"one": {{Path: f.hello}},
		"two": {{Path: f.hello}, {Path: arm}},
	} {
		out := filepath.Join(dir, name+".tar")
		res, err := build.Run(t0(), build.Recipe{Binaries: bins, Path: "/hello", Tags: []string{"minimage/inplace:" + name}, Outputs: []build.Output{{Format: build.Tarball, Path: out}}})
		if err != nil {
			t.Fatal(err)
		}
		tars[out] = res.Artifact
	}
	for out, a := range tars {
		tag := "minimage/inplace:" + strings.TrimSuffix(filepath.Base(out), ".tar")
		primary := a.Images()[0]
		t.Run(filepath.Base(out), func(t *testing.T) {
			t.Run("podman", func(t *testing.T) {
				testenv.NeedTool(t, "podman")
				podman := []string{"--storage-driver", "vfs", "--root", t.TempDir(), "--runroot", t.TempDir()}
				if o, err := exec.Command("podman", append(podman, "info")...).CombinedOutput(); err != nil {
					t.Skipf("podman is not usable here: %v\n%s", err, firstLine(o))
				}
				run(t, "podman", append(podman, "load", "-i", out)...)
				got := run(t, "podman", append(podman, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")...)
				if want := "docker.io/" + tag + " " + primary.ConfigDigest().Encoded()[:12]; !strings.Contains(got, want) {
					t.Errorf("podman images: %q, want %q", got, want)
				}
			})
			t.Run("crane", func(t *testing.T) {
				testenv.NeedTool(t, "crane")
				if got := run(t, "crane", "validate", "--tarball", out); !strings.Contains(got, "PASS") {
					t.Errorf("crane validate: %s", got)
				}
			})
			t.Run("skopeo", func(t *testing.T) {
				testenv.NeedTool(t, "skopeo")
				for _, ref := range []string{"oci-archive:" + out, "docker-archive:" + out + ":" + tag} {
					var info struct{ Digest string }
					if err := json.Unmarshal([]byte(run(t, "skopeo", "inspect", ref)), &info); err != nil {
						t.Fatalf("%s: %v", ref, err)
					}
					// skopeo names the manifest it resolved from the
					// index.json: the index of two, the image of one.
					if strings.HasPrefix(ref, "oci-archive:") && info.Digest != a.Digest().String() {
						t.Errorf("%s: digest %s, want %s", ref, info.Digest, a.Digest())
					}
					copied := filepath.Join(t.TempDir(), "copied")
					run(t, "skopeo", "--insecure-policy", "copy", "-q", ref, "oci:"+copied+":x")
					validateLayout(t, copied)
				}
			})
			t.Run("umoci", func(t *testing.T) {
				testenv.NeedTool(t, "umoci")
				lay := filepath.Join(t.TempDir(), "layout")
				untarTo(t, out, lay)
				validateLayout(t, lay)
				ref := strings.TrimPrefix(tag, "minimage/inplace:")
				if got := run(t, "umoci", "ls", "--layout", lay); strings.TrimSpace(got) != ref {
					t.Errorf("umoci ls: %q, want %q", got, ref)
				}
				if len(a.Images()) > 1 {
					return // umoci stat reads images, not indexes
				}
				got := run(t, "umoci", "stat", "--json", "--image", lay+":"+ref)
				if !strings.Contains(got, primary.Layers()[len(primary.Layers())-1].DiffID().String()) {
					t.Errorf("umoci stat: the binary's layer is missing:\n%s", got)
				}
			})
		})
	}
}
