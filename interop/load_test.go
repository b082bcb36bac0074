package interop

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/testenv"
)

// TestLoaders loads the fixture tarball with the tools that take
// archives; all are required under CI=true (.ci/run installs them and
// starts containerd). podman and ctr keep their state in the test's
// temporary directory or namespace, so the machine's images are not
// touched. TestDocker and TestPodman run images in docker and podman.
func TestLoaders(t *testing.T) {
	f := newFixture(t)
	podman := []string{"--storage-driver", "vfs", "--root", t.TempDir(), "--runroot", t.TempDir()}
	const ns = "minimage-interop"
	for _, tc := range []struct {
		tool  string
		probe []string // must succeed, or the engine is not usable here
		load  []string
		check []string // must print want after the load
		want  string
		clean []string
	}{
		{tool: "podman", probe: append(podman, "info"), load: append(podman, "load", "-i", f.tarball),
			check: append(podman, "images", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"), want: "docker.io/minimage/hello:v1 " + f.img.Digest().String()},
		{tool: "ctr", probe: []string{"--timeout", "3s", "version"}, load: []string{"-n", ns, "images", "import", f.tarball},
			check: []string{"-n", ns, "images", "ls"}, want: f.img.Digest().String(),
			clean: []string{"-n", ns, "images", "rm", "docker.io/minimage/hello:v1"}},
		{tool: "crane", probe: []string{"version"}, load: []string{"validate", "--tarball", f.tarball},
			want: "PASS"},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			testenv.NeedTool(t, tc.tool)
			// A client whose daemon does not answer is skipped, also under
			// CI=true; .ci/run starts containerd for ctr.
			if out, err := exec.Command(tc.tool, tc.probe...).CombinedOutput(); err != nil {
				t.Skipf("%s is not usable here: %v\n%s", tc.tool, err, firstLine(out))
			}
			out := run(t, tc.tool, tc.load...)
			if tc.clean != nil {
				t.Cleanup(func() { exec.Command(tc.tool, tc.clean...).Run() })
			}
			if tc.check != nil {
				out = run(t, tc.tool, tc.check...)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("%s: after the load, want %q in\n%s", tc.tool, tc.want, out)
			}
		})
	}
}

// TestQemuArm64 unpacks the arm64 image of the index and runs its
// entrypoint under qemu-aarch64-static.
func TestQemuArm64(t *testing.T) {
	testenv.NeedTool(t, "umoci")
	testenv.NeedTool(t, "qemu-aarch64-static")
	testenv.NeedRoot(t)
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "layout")
	if err := layout.Write(t0(), dir, f.index.Image(arm64), layout.Options{Tags: []string{"arm64"}}); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	run(t, "umoci", "unpack", "--image", dir+":arm64", bundle)
	out := run(t, "qemu-aarch64-static", filepath.Join(bundle, "rootfs", "hello"))
	if !strings.HasPrefix(out, "hello from minimage uid=") {
		t.Errorf("qemu run: %q", out)
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
