package interop

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/internal/testenv"
)

// TestBuildPushSkopeoUmociRun pushes an image straight from
// "minimage build --push" to docker-registry (TLS, basic auth), copies it
// back out with skopeo, unpacks it with umoci, and runs its entrypoint in
// a chroot as the image's user, 65532.
func TestBuildPushSkopeoUmociRun(t *testing.T) {
	skopeo := testenv.NeedTool(t, "skopeo")
	umoci := testenv.NeedTool(t, "umoci")
	testenv.NeedRoot(t)
	f := newFixture(t)
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	cli := minimageCLI(t)

	ref := reg.Ref("hello:v1")
	cmd := exec.Command(cli, "build", "-q", "--push", ref, "--ca-file", reg.CA.File,
		"--username", reg.User, "--password-stdin", f.hello)
	cmd.Stdin = strings.NewReader(reg.Password + "\n")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("minimage build --push: %v\n%s", err, stderrOf(err))
	}
	var pushed string
	for _, line := range strings.Split(string(out), "\n") {
		if p, ok := strings.CutPrefix(line, "pushed "); ok {
			pushed = p
		}
	}
	if !strings.HasPrefix(pushed, ref+"@sha256:") {
		t.Fatalf("no pushed reference in %q", out)
	}

	// By digest: skopeo takes no tag and digest together.
	_, dgst, _ := strings.Cut(pushed, "@")
	dir := filepath.Join(t.TempDir(), "oci")
	args := append([]string{"copy", "--quiet", "--preserve-digests"}, reg.SkopeoFlags(t, "src-")...)
	run(t, skopeo, append(args, "docker://"+reg.Ref("hello")+"@"+dgst, "oci:"+dir+":v1")...)
	bundle := filepath.Join(t.TempDir(), "bundle")
	run(t, umoci, "unpack", "--image", dir+":v1", bundle)

	var cfg struct {
		Process struct {
			Args []string
			User struct{ UID, GID uint32 }
		}
	}
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Process.User.UID != 65532 || cfg.Process.User.GID != 65532 || len(cfg.Process.Args) != 1 {
		t.Fatalf("runtime config %+v, want the entrypoint alone, as 65532:65532", cfg.Process)
	}
	got, err := testenv.Chroot(t, filepath.Join(bundle, "rootfs"), cfg.Process.User.UID, cfg.Process.User.GID, nil, cfg.Process.Args...).CombinedOutput()
	if err != nil || string(got) != "hello from minimage uid=65532\n" {
		t.Errorf("chroot run of %v: %v: %q", cfg.Process.Args, err, got)
	}
	// The CA bundle minimage adds is there, for the program's TLS.
	if _, err := os.Stat(filepath.Join(bundle, "rootfs", "etc", "ssl", "certs", "ca-certificates.crt")); err != nil {
		t.Error(err)
	}
}

// minimageCLI builds cmd/minimage into the test's temporary directory.
func minimageCLI(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(t.TempDir(), "minimage")
	cmd := exec.Command("go", "build", "-o", cli, "./cmd/minimage")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/minimage: %v\n%s", err, out)
	}
	return cli
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
