package remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

func TestPullRoundTrip(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	ctx := context.Background()
	img := imagetest.Image(t, imagetest.Spec{Seed: 21, Layers: 3, Files: 5})
	ix := imagetest.Index(t, imagetest.Spec{Seed: 22, Layers: 2, Files: 5, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}})
	for ref, a := range map[string]image.Artifact{"one:v1": img, "multi:v1": ix} {
		if _, err := Push(ctx, reg.Ref(ref), a, regOptions(reg)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("image", func(t *testing.T) {
		got, err := Pull(ctx, reg.Ref("one:v1"), regOptions(reg))
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != img.Digest() || !bytes.Equal(got.RawManifest(), img.RawManifest()) {
			t.Errorf("pulled %s, pushed %s", got.Digest(), img.Digest())
		}
		imagetest.EqualFiles(t, got, img)
	})
	t.Run("index", func(t *testing.T) {
		got, err := Pull(ctx, reg.Ref("multi:v1"), regOptions(reg))
		if err != nil {
			t.Fatal(err)
		}
		gix, ok := got.(*image.Index)
		if !ok {
			t.Fatalf("pulled a %T, want *image.Index", got)
		}
		if gix.Digest() != ix.Digest() || len(gix.Images()) != 3 {
			t.Errorf("pulled %s with %d images, pushed %s with 3", gix.Digest(), len(gix.Images()), ix.Digest())
		}
		imagetest.EqualFiles(t, got, ix)
		if n, err := image.Verify(ctx, got); err != nil {
			t.Errorf("verify after %d blobs: %v", n, err)
		}
	})
	t.Run("one platform of an index", func(t *testing.T) {
		p := image.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
		got, err := PullImage(ctx, reg.Ref("multi:v1"), p, regOptions(reg))
		if err != nil {
			t.Fatal(err)
		}
		want := ix.Images()[2]
		if got.Digest() != want.Digest() || got.Platform() != p {
			t.Errorf("pulled %s for %v, want %s", got.Digest(), got.Platform(), want.Digest())
		}
		_, err = PullImage(ctx, reg.Ref("multi:v1"), image.Platform{OS: "linux", Architecture: "s390x"}, regOptions(reg))
		if !errors.Is(err, image.ErrNotFound) || !strings.Contains(err.Error(), "arm64") {
			t.Errorf("missing platform: %v, want ErrNotFound naming the platforms there are", err)
		}
	})
	t.Run("by digest", func(t *testing.T) {
		got, err := Pull(ctx, reg.Ref("multi@"+ix.Images()[1].Digest().String()), regOptions(reg))
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != ix.Images()[1].Digest() {
			t.Errorf("pulled %s, want %s", got.Digest(), ix.Images()[1].Digest())
		}
	})
	t.Run("missing", func(t *testing.T) {
		for _, ref := range []string{"one:nosuchtag", "nosuchrepo:v1", "one@sha256:" + strings.Repeat("a", 64)} {
			_, err := Pull(ctx, reg.Ref(ref), regOptions(reg))
			if !errors.Is(err, image.ErrNotFound) || !strings.Contains(err.Error(), reg.Host) {
				t.Errorf("%s: %v, want ErrNotFound naming the registry", ref, err)
			}
		}
	})
}

func TestPullResumesCutDownload(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	ctx := context.Background()
	img := bigImage(t, 31)
	if _, err := Push(ctx, reg.Ref("app:v1"), img, regOptions(reg)); err != nil {
		t.Fatal(err)
	}
	px := reg.Proxy(t)
	px.Fail(registrytest.Fault{Times: 2, CutResponse: true, After: 300 << 10, Method: "GET", Path: "/blobs/" + regexp.QuoteMeta(img.Layers()[0].Digest().String()) + "$"})
	got, err := Pull(ctx, px.Host()+"/app:v1", regOptions(reg))
	if err != nil {
		t.Fatal(err)
	}
	imagetest.EqualFiles(t, got, img)
	if n := faulted(px.Log()); n != 2 {
		t.Errorf("%d downloads cut, want 2: %v", n, px.Log())
	}
	// Each retry asks for the rest of the blob only.
	var ranges int
	for _, l := range px.Log() {
		if strings.HasPrefix(l.Range, "bytes=") {
			ranges++
		}
	}
	if ranges != 2 {
		t.Errorf("%d range requests, want 2 (one a cut): %v", ranges, px.Log())
	}
	t.Logf("proxy: %v", px.Log())
}

func TestPullDetectsCorruptLayer(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	ctx := context.Background()
	img := imagetest.Image(t, imagetest.Spec{Seed: 41, Files: 3})
	if _, err := Push(ctx, reg.Ref("app:v1"), img, regOptions(reg)); err != nil {
		t.Fatal(err)
	}
	// Flip a byte of the layer in the registry's storage.
	d := img.Layers()[0].Digest()
	p := reg.BlobPath(d.String())
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := PullImage(ctx, reg.Ref("app:v1"), image.Platform{}, regOptions(reg))
	if err != nil {
		t.Fatal(err) // manifests and config are intact; layers are read later
	}
	rc, err := got.Layers()[0].Compressed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("reading a corrupt layer: %v, want layer.ErrDigestMismatch", err)
	}
}

func TestPushMountsFromPulledRepository(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	ctx := context.Background()
	base := imagetest.Image(t, imagetest.Spec{Seed: 51, Layers: 2, Files: 3})
	if _, err := Push(ctx, reg.Ref("base:v1"), base, regOptions(reg)); err != nil {
		t.Fatal(err)
	}
	m := NewMounts()
	pullOpts := regOptions(reg)
	pullOpts.Mounts = m
	pulled, err := PullImage(ctx, reg.Ref("base:v1"), image.Platform{}, pullOpts)
	if err != nil {
		t.Fatal(err)
	}
	top := imagetest.Image(t, imagetest.Spec{Seed: 52, Files: 2})
	app := image.FromBase(pulled, reg.Ref("base:v1")).Append(top.Layers()...)

	var mounted, uploaded int
	opts := regOptions(reg)
	opts.Mounts = m
	opts.Progress = func(p Progress) {
		switch p.State {
		case Mounted:
			mounted++
		case Uploaded:
			uploaded++
		}
	}
	mark := reg.Mark()
	if _, err := Push(ctx, reg.Ref("app:v1"), app, opts); err != nil {
		t.Fatal(err)
	}
	var mounts []string
	for _, e := range reg.Requests(mark) {
		if e.Method == "POST" && strings.Contains(e.Path, "mount=") {
			mounts = append(mounts, e.String())
			if e.Status != http.StatusCreated || !strings.Contains(e.Path, "from=base") {
				t.Errorf("mount %v: want 201 from base", e)
			}
		}
		if e.Method == "PUT" && strings.Contains(e.Path, "/blobs/uploads/") {
			for _, l := range base.Layers() {
				if strings.Contains(e.Path, l.Digest().Encoded()) {
					t.Errorf("base layer %s uploaded again: %v", l.Digest(), e)
				}
			}
		}
	}
	if len(mounts) != 2 || mounted != 2 {
		t.Errorf("%d mounts (%d reported), want the 2 base layers: %v", len(mounts), mounted, mounts)
	}
	// The new config, the new layer and the manifest.
	if uploaded != 3 {
		t.Errorf("%d uploads reported, want 3", uploaded)
	}
	got, err := Pull(ctx, reg.Ref("app:v1"), regOptions(reg))
	if err != nil {
		t.Fatal(err)
	}
	imagetest.EqualFiles(t, got, app)
}

// TestSkopeoCopyAndRun pushes an image holding a static binary, copies it
// back out of the registry with skopeo, and runs it from the unpacked
// rootfs as the image's user, 65532.
func TestSkopeoCopyAndRun(t *testing.T) {
	skopeo := testenv.NeedTool(t, "skopeo")
	testenv.NeedRoot(t)
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	ctx := context.Background()

	bin := filepath.Join(t.TempDir(), "whoami")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./testdata/whoami")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	img, err := gobinary.Add(ctx, image.New(image.Platform{OS: "linux", Architecture: "amd64"}), "/whoami", bin, gobinary.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, reg.Ref("whoami:v1"), img, regOptions(reg)); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "oci")
	args := append([]string{"copy", "--preserve-digests"}, reg.SkopeoFlags(t, "src-")...)
	args = append(args, "docker://"+reg.Ref("whoami:v1"), "oci:"+dir+":v1")
	if out, err := exec.Command(skopeo, args...).CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Image(ctx, "v1", image.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != img.Digest() {
		t.Errorf("skopeo copied %s, pushed %s", got.Digest(), img.Digest())
	}
	rootfs := t.TempDir()
	for _, ly := range got.Layers() {
		rc, err := ly.Uncompressed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		testenv.Untar(t, rc, rootfs)
		rc.Close()
	}
	cfg := got.Config()
	if cfg.Config.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", cfg.Config.User)
	}
	out, err := testenv.Chroot(t, rootfs, 65532, 65532, nil, cfg.Config.Entrypoint...).CombinedOutput()
	if err != nil || string(out) != "pulled back and running as uid=65532 gid=65532\n" {
		t.Errorf("run: %v: %q", err, out)
	}
}
