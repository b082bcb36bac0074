package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

// TestBenchPushVersusSkopeo times Push of a ≥50 MB image against
// `skopeo copy oci:DIR docker://…` and, when installed, `crane push DIR`
// of the same layout, each into a registry of its own on loopback (so
// none finds another's blobs), in rotation, and logs the medians and the
// requests of a re-push.
// It runs only with MINIMAGE_BENCH=1:
//
//	MINIMAGE_BENCH=1 go test -run TestBenchPushVersusSkopeo -v ./image/remote
func TestBenchPushVersusSkopeo(t *testing.T) {
	if os.Getenv("MINIMAGE_BENCH") != "1" {
		t.Skip("set MINIMAGE_BENCH=1 to run the push benchmark")
	}
	skopeo := testenv.NeedTool(t, "skopeo")
	ctx := context.Background()
	const runs = 5

	img := randomImage(t, 2, 32<<20)
	var size int64
	for _, l := range img.Layers() {
		size += l.Size()
	}
	dir := filepath.Join(t.TempDir(), "oci")
	if err := layout.Write(ctx, dir, img, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}

	// crane, when installed (.ci/run installs it), is a third contender;
	// it reads credentials from DOCKER_CONFIG and trusts SSL_CERT_FILE.
	crane, _ := exec.LookPath("crane")

	type contender struct {
		name  string
		push  func(reg *dockerregistry.Docker)
		times []time.Duration
	}
	cs := []*contender{
		{name: "remote.Push", push: func(reg *dockerregistry.Docker) {
			if _, err := Push(ctx, reg.Ref("bench:v1"), img, regOptions(reg)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "skopeo copy", push: func(reg *dockerregistry.Docker) {
			args := append([]string{"copy", "--quiet", "--preserve-digests"}, reg.SkopeoFlags(t, "dest-")...)
			args = append(args, "oci:"+dir+":v1", "docker://"+reg.Ref("bench:v1"))
			if out, err := exec.Command(skopeo, args...).CombinedOutput(); err != nil {
				t.Fatalf("skopeo copy: %v\n%s", err, out)
			}
		}},
	}
	if crane != "" {
		cs = append(cs, &contender{name: "crane push", push: func(reg *dockerregistry.Docker) {
			cmd := exec.Command(crane, "push", dir, reg.Ref("bench:v1"))
			cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig(t, reg), "SSL_CERT_FILE="+reg.CA.File)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("crane push: %v\n%s", err, out)
			}
		}})
	}
	for i := range runs {
		// Rotate which goes first, so that none always meets a warmer
		// page cache; each pushes into a registry of its own.
		for j := range cs {
			c := cs[(i+j)%len(cs)]
			reg := dockerregistry.Start(t, dockerregistry.Config{})
			start := time.Now()
			c.push(reg)
			c.times = append(c.times, time.Since(start))
			if i == 0 && j == 0 {
				repush(t, reg, img, skopeo, crane, dir)
			}
			reg.Kill()
		}
	}
	t.Logf("image: %d layers, %.1f MB of blobs", len(img.Layers()), float64(size)/1e6)
	m := median(cs[0].times)
	for _, c := range cs {
		t.Logf("%-12s median %v (%v), %.2fx remote.Push's time", c.name, median(c.times).Round(time.Millisecond), rounded(c.times), float64(median(c.times))/float64(m))
	}
	t.Logf("remote.Push: %.0f MB/s", float64(size)/1e6/m.Seconds())
}

// dockerConfig writes a docker config.json holding reg's credentials and
// returns its directory.
func dockerConfig(t *testing.T, reg *dockerregistry.Docker) string {
	d := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(reg.User + ":" + reg.Password))
	data := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg.Host, auth)
	if err := os.WriteFile(filepath.Join(d, "config.json"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// repush logs how many requests a re-push of what reg holds takes, with
// Push, skopeo and (when installed) crane.
func repush(t *testing.T, reg *dockerregistry.Docker, img *image.Image, skopeo, crane, dir string) {
	mark := reg.Mark()
	if _, err := Push(context.Background(), reg.Ref("bench:v1"), img, regOptions(reg)); err != nil {
		t.Fatal(err)
	}
	es := reg.Requests(mark)
	t.Logf("re-push with remote.Push: %d requests, %d uploads: %v", len(es), len(dockerregistry.Uploads(es)), es)
	mark = reg.Mark()
	args := append([]string{"copy", "--quiet", "--preserve-digests"}, reg.SkopeoFlags(t, "dest-")...)
	args = append(args, "oci:"+dir+":v1", "docker://"+reg.Ref("bench:v1"))
	if out, err := exec.Command(skopeo, args...).CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
	es = reg.Requests(mark)
	t.Logf("re-push with skopeo copy: %d requests, %d uploads", len(es), len(dockerregistry.Uploads(es)))
	if crane == "" {
		return
	}
	mark = reg.Mark()
	cmd := exec.Command(crane, "push", dir, reg.Ref("bench:v1"))
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig(t, reg), "SSL_CERT_FILE="+reg.CA.File)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("crane push: %v\n%s", err, out)
	}
	es = reg.Requests(mark)
	t.Logf("re-push with crane push: %d requests, %d uploads", len(es), len(dockerregistry.Uploads(es)))
}

// randomImage makes an image of n gzip layers, each one file of size
// pseudo-random bytes, which gzip cannot shrink.
func randomImage(t *testing.T, n int, size int64) *image.Image {
	t.Helper()
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"})
	for i := range n {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("data%d.bin", i), Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(tw, rand.NewChaCha8([32]byte{byte(i)}), size); err != nil {
			t.Fatal(err)
		}
		tw.Close()
		l, err := layer.FromTar(context.Background(), &buf, layer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		img = img.Append(l)
	}
	return img
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
