package interop

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/testenv"
)

// TestLoaders loads the fixture tarball with the engines that take
// archives, where they are installed and their daemons answer.
func TestLoaders(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		tool  string
		probe []string // must succeed, or the engine is not usable here
		load  []string
		run   []string // run the image; "" when the tool cannot
		clean []string
	}{
		{tool: "docker", probe: []string{"info"}, load: []string{"load", "-i", f.tarball},
			run: []string{"run", "--rm", "minimage/hello:v1"}, clean: []string{"rmi", "-f", "minimage/hello:v1"}},
		{tool: "podman", probe: []string{"info"}, load: []string{"load", "-i", f.tarball},
			run: []string{"run", "--rm", "minimage/hello:v1"}, clean: []string{"rmi", "-f", "minimage/hello:v1"}},
		{tool: "ctr", probe: []string{"version"}, load: []string{"images", "import", f.tarball},
			clean: []string{"images", "rm", "docker.io/minimage/hello:v1"}},
		{tool: "crane", probe: []string{"version"}, load: []string{"validate", "--tarball", f.tarball}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			// These engines are optional: skipped when missing, also under
			// CI=true, which requires only skopeo, umoci, runc and qemu.
			if _, err := exec.LookPath(tc.tool); err != nil {
				t.Skipf("%s is not installed", tc.tool)
			}
			// A client without its daemon is skipped even under CI=true:
			// the daemon is the machine's business, not a missing tool.
			if out, err := exec.Command(tc.tool, tc.probe...).CombinedOutput(); err != nil {
				t.Skipf("%s is not usable here: %v\n%s", tc.tool, err, firstLine(out))
			}
			run(t, tc.tool, tc.load...)
			if tc.clean != nil {
				t.Cleanup(func() { exec.Command(tc.tool, tc.clean...).Run() })
			}
			if tc.run != nil {
				if out := run(t, tc.tool, tc.run...); out != "hello from minimage uid=65532\n" {
					t.Errorf("%s run: %q", tc.tool, out)
				}
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
	if err := image.WriteLayout(t0(), dir, f.index.Image(arm64), image.LayoutOptions{Tags: []string{"arm64"}}); err != nil {
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
