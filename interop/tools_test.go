package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/testenv"
)

func TestSkopeoInspect(t *testing.T) {
	testenv.NeedTool(t, "skopeo")
	f := newFixture(t)
	for _, ref := range []string{"oci:" + f.layout + ":v1", "oci-archive:" + f.tarball + ":v1", "docker-archive:" + f.tarball + ":minimage/hello:v1"} {
		var info struct {
			Digest       string
			Architecture string
			Os           string
		}
		if err := json.Unmarshal([]byte(run(t, "skopeo", "inspect", ref)), &info); err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if info.Architecture != "amd64" || info.Os != "linux" {
			t.Errorf("%s: %+v", ref, info)
		}
		if !strings.HasPrefix(ref, "docker-archive:") && info.Digest != f.img.Digest().String() {
			t.Errorf("%s: digest %s, want %s", ref, info.Digest, f.img.Digest())
		}
	}
	raw := run(t, "skopeo", "inspect", "--raw", "oci:"+f.layout+":v1")
	if raw != string(f.img.RawManifest()) {
		t.Errorf("raw manifest differs:\n%s\n%s", raw, f.img.RawManifest())
	}
	raw = run(t, "skopeo", "inspect", "--raw", "oci:"+f.layout+":multi")
	if raw != string(f.index.RawManifest()) {
		t.Errorf("raw index differs")
	}
}

func TestSkopeoCopy(t *testing.T) {
	testenv.NeedTool(t, "skopeo")
	f := newFixture(t)
	for _, tc := range []struct {
		src  string
		all  bool
		plat image.Platform
		want *image.Image
		same bool // skopeo keeps the manifest bytes
	}{
		{src: "oci:" + f.layout + ":v1", want: f.img, same: true},
		{src: "oci:" + f.layout + ":multi", all: true, plat: arm64, want: f.index.Image(arm64), same: true},
		{src: "oci-archive:" + f.tarball + ":v1", want: f.img, same: true},
		{src: "oci-archive:" + f.multi + ":multi", all: true, plat: arm64, want: f.index.Image(arm64), same: true},
		{src: "docker-archive:" + f.tarball + ":minimage/hello:v1", want: f.img},
		{src: "docker-archive:" + f.multi, want: f.img},
	} {
		t.Run(strings.SplitN(tc.src, ":", 2)[0], func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := []string{"--insecure-policy", "copy", "-q"}
			if tc.all {
				args = append(args, "--all")
			}
			run(t, "skopeo", append(args, tc.src, "oci:"+out+":copied")...)
			validateLayout(t, out)
			l, err := layout.Read(out)
			if err != nil {
				t.Fatal(err)
			}
			p := tc.plat
			if p == (image.Platform{}) {
				p = amd64
			}
			got, err := l.Image(t.Context(), "copied", p)
			if err != nil {
				t.Fatal(err)
			}
			if got.ConfigDigest() != tc.want.ConfigDigest() {
				t.Errorf("config %s, want %s", got.ConfigDigest(), tc.want.ConfigDigest())
			}
			if tc.same && got.Digest() != tc.want.Digest() {
				t.Errorf("manifest %s, want %s", got.Digest(), tc.want.Digest())
			}
			for _, ly := range got.Layers() {
				rc, err := ly.Uncompressed(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if _, err := buf.ReadFrom(rc); err != nil {
					t.Errorf("layer %s: %v", ly.Digest(), err)
				}
				rc.Close()
			}
			// What skopeo wrote takes more images from us.
			if err := writeMore(out, got); err != nil {
				t.Error(err)
			}
		})
	}
}

func writeMore(dir string, base *image.Image) error {
	img := image.FromBase(base, "minimage/hello:v1").WithEnv("MORE", "1")
	if err := layout.Write(t0(), dir, img, layout.Options{Tags: []string{"more"}}); err != nil {
		return err
	}
	l, err := layout.Read(dir)
	if err != nil {
		return err
	}
	if len(l.Tags()) != 2 {
		return fmt.Errorf("tags %q", l.Tags())
	}
	return nil
}

// unpack unpacks tag of the fixture layout with umoci into a bundle.
func unpack(t *testing.T, tag string) string {
	t.Helper()
	testenv.NeedTool(t, "umoci")
	testenv.NeedRoot(t)
	f := newFixture(t)
	bundle := filepath.Join(t.TempDir(), "bundle")
	run(t, "umoci", "unpack", "--image", f.layout+":"+tag, bundle)
	return bundle
}

func TestUmociUnpackAndRun(t *testing.T) {
	f := newFixture(t)
	// umoci 0.4 cannot pick a platform from an index ("tag is
	// ambiguous"), so only the single image is unpacked.
	for _, tag := range []string{"v1"} {
		t.Run(tag, func(t *testing.T) {
			bundle := unpack(t, tag)
			rootfs := filepath.Join(bundle, "rootfs")
			st, err := os.Stat(filepath.Join(rootfs, "hello"))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o755 || st.Sys().(*syscall.Stat_t).Uid != 0 {
				t.Errorf("hello: mode %v", st.Mode())
			}
			want, _ := os.ReadFile(f.hello)
			if got, _ := os.ReadFile(filepath.Join(rootfs, "hello")); !bytes.Equal(got, want) {
				t.Error("hello differs from the binary")
			}
			if st, err := os.Stat(filepath.Join(rootfs, "tmp")); err != nil || st.Mode()&os.ModeSticky == 0 {
				t.Errorf("tmp: %v %v", st, err)
			}
			var cfg struct {
				Process struct {
					Args []string
					User struct{ UID, GID uint32 }
				}
			}
			b, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
			if err := json.Unmarshal(b, &cfg); err != nil {
				t.Fatal(err)
			}
			if len(cfg.Process.Args) != 1 || cfg.Process.Args[0] != "/hello" || cfg.Process.User.UID != 65532 || cfg.Process.User.GID != 65532 {
				t.Errorf("runtime config %+v", cfg.Process)
			}
			// Run the entrypoint as the image's user, chrooted.
			out, err := testenv.Chroot(t, rootfs, cfg.Process.User.UID, cfg.Process.User.GID, nil, cfg.Process.Args[0]).CombinedOutput()
			if err != nil || string(out) != "hello from minimage uid=65532\n" {
				t.Errorf("chroot run: %v: %q", err, out)
			}
		})
	}
}

// TestRunc runs the unpacked image with runc, where this machine lets
// runc make containers; elsewhere it is skipped (chroot above is the
// fallback check).
func TestRunc(t *testing.T) {
	testenv.NeedTool(t, "runc")
	bundle := unpack(t, "v1")
	var cfg map[string]any
	p := filepath.Join(bundle, "config.json")
	b, _ := os.ReadFile(p)
	json.Unmarshal(b, &cfg)
	cfg["process"].(map[string]any)["terminal"] = false
	b, _ = json.Marshal(cfg)
	os.WriteFile(p, b, 0o644)
	id := fmt.Sprintf("minimage-%d", time.Now().UnixNano())
	cmd := exec.Command("runc", "run", "--bundle", bundle, id)
	out, err := cmd.CombinedOutput()
	exec.Command("runc", "delete", "-f", id).Run()
	if err != nil {
		t.Skipf("runc cannot run containers here: %v\n%s", err, out)
	}
	if string(out) != "hello from minimage uid=65532\n" {
		t.Errorf("runc run: %q", out)
	}
}
