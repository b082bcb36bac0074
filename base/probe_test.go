package base_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
)

// TestProbe is the acceptance test of the three packages together: a
// static Go program, run as the image user in a root file system made of
// the base, certs and tzdata layers alone, finds its CA bundle, loads the
// zones it was given and no others, and writes to /tmp. It needs root for
// chroot; it skips without it, except under CI=true, where it fails.
func TestProbe(t *testing.T) {
	testenv.NeedRoot(t)
	if testing.Short() {
		t.Skip("builds a program; skipped with -short")
	}
	probe := buildProbe(t)
	ctx := context.Background()
	lo := layer.Options{Format: layer.Format{Compression: layer.Uncompressed}}
	baseL := must(base.Layer(ctx, base.Options{Layer: lo}))
	certsL := must(certs.Layer(ctx, certs.Options{Layer: lo}))
	zones := []string{"Europe/Paris", "US/Eastern", "UTC"}

	for _, zip := range []bool{false, true} {
		t.Run(fmt.Sprintf("zip=%v", zip), func(t *testing.T) {
			opts := tzdata.Options{Zones: zones, Localtime: "Europe/Paris", Zip: zip, Layer: lo}
			tzL := must(tzdata.Layer(ctx, opts))
			root := t.TempDir()
			extract(t, root, baseL, certsL, tzL)
			copyFile(t, probe, filepath.Join(root, "probe"))

			// Etc/UTC was not named: it comes in as the zone of the UTC link.
			// (Go answers "UTC" itself without reading a file.)
			env := append([]string{certs.Env}, tzdata.Env(opts)...)
			cmd := testenv.Chroot(t, root, base.NonrootUID, base.NonrootGID, env,
				"/probe", "-zones", strings.Join(append(zones, "Etc/UTC"), ","), "-missing", "Asia/Tokyo")
			cmd.Dir = base.NonrootHome
			out, err := cmd.CombinedOutput()
			t.Logf("probe output:\n%s", out)
			if err != nil {
				t.Fatalf("probe: %v", err)
			}
			want := []string{
				"uid=65532 gid=65532",
				"user=nonroot home=/home/nonroot",
				"cwd=/home/nonroot",
				"system_pool=ok",
				fmt.Sprintf("certs=%d file=%s", certs.Count()-certs.Constrained(), certs.Path),
				"verify=ok",
				"zone Europe/Paris=ok +0100 CET",
				"zone US/Eastern=ok -0500 EST",
				"zone UTC=ok +0000 UTC",
				"zone Etc/UTC=ok +0000 UTC",
				"missing Asia/Tokyo=unknown time zone Asia/Tokyo",
				"local=+0100 CET",
				"tmp=wrote /tmp/probe.txt",
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			for _, w := range want {
				if !contains(lines, w) {
					t.Errorf("no line %q", w)
				}
			}
			fi, err := os.Stat(filepath.Join(root, "tmp/probe.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if uid, _ := testenv.Owner(t, fi); uid != base.NonrootUID {
				t.Errorf("/tmp/probe.txt is owned by %d", uid)
			}
		})
	}
}

// buildProbe builds testdata/probe as a static Linux binary for this
// machine and returns its path.
func buildProbe(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "probe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./testdata/probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/probe: %v\n%s", err, b)
	}
	return out
}

// extract unpacks layers, in order, into dir, as a container runtime
// would.
func extract(t *testing.T, dir string, layers ...*layer.Layer) {
	t.Helper()
	for _, l := range layers {
		rc, err := l.Uncompressed(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		testenv.Untar(t, rc, dir)
		rc.Close()
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
