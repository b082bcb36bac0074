package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"github.com/minimage/minimage/build"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/internal/testenv"
)

// minimageStdin runs one command line in-process with password as the
// first line of standard input (--password-stdin).
func minimageStdin(t *testing.T, password string, args ...string) (int, string, string) {
	t.Helper()
	return minimageIn(t, password+"\n", args...)
}

// layoutDigest returns the digest of the one artifact, or the one tagged
// tag, in the layout dir.
func layoutDigest(t *testing.T, dir, tag string) string {
	t.Helper()
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Artifact(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	return a.Digest().String()
}

// TestBuildPushRegistry runs build --push against Debian's
// docker-registry over TLS with basic auth: a 2-platform index from a
// package and a single image from a binary, each digest the one -o writes
// for the same inputs; skopeo sees both architectures; --base from the
// registry mounts the base's layers when pushing to it, and gives what
// --base of the same image pulled into a layout gives.
func TestBuildPushRegistry(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	login := []string{"--ca-file", reg.CA.File, "--username", reg.User, "--password-stdin"}
	pkg := filepath.Join(repoRoot(t), "examples", "hello")
	bin := helloBinary(t)
	dir := t.TempDir()

	t.Run("index with -o and two --push", func(t *testing.T) {
		out := filepath.Join(dir, "index")
		args := append([]string{"build", "-q", "--platform", "linux/amd64,linux/arm64", "-o", out, "--push", reg.Ref("app:v1"), "--push", reg.Ref("app:latest")}, login...)
		code, stdout, stderr := minimageStdin(t, reg.Password, append(args, pkg)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want := layoutDigest(t, out, "v1") // the --push tags, as no -t is given
		if latest := layoutDigest(t, out, "latest"); latest != want {
			t.Errorf("the layout's latest is %s, its v1 %s", latest, want)
		}
		for _, ref := range []string{reg.Ref("app:v1"), reg.Ref("app:latest")} {
			if line := "pushed " + ref + "@" + want + "\n"; !strings.Contains(stdout, line) {
				t.Errorf("stdout lacks %q:\n%s", line, stdout)
			}
		}
		// The same inputs pushed alone: the same digest.
		args = append([]string{"build", "-q", "--platform", "linux/amd64,linux/arm64", "--push", reg.Ref("solo:v1"), "--json"}, login...)
		code, stdout, stderr = minimageStdin(t, reg.Password, append(args, pkg)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var res build.Summary
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		if res.Digest.String() != want || len(res.Pushed) != 1 || res.Pushed[0].Reference != reg.Ref("solo:v1")+"@"+want || len(res.Platforms) != 2 || len(res.Outputs) != 0 {
			t.Errorf("--json %+v, want one push of %s", res, want)
		}
		// skopeo finds the index, with an image for each architecture.
		l, err := layout.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		ix, err := l.Index(context.Background(), "v1")
		if err != nil {
			t.Fatal(err)
		}
		skopeo := testenv.NeedTool(t, "skopeo")
		b, err := exec.Command(skopeo, append(append([]string{"inspect", "--raw"}, reg.SkopeoFlags(t, "")...), "docker://"+reg.Ref("solo:v1"))...).CombinedOutput()
		if err != nil {
			t.Fatalf("skopeo inspect --raw: %v\n%s", err, b)
		}
		var raw struct {
			Manifests []struct {
				Digest   string
				Platform struct{ Architecture string }
			}
		}
		if err := json.Unmarshal(b, &raw); err != nil || len(raw.Manifests) != len(ix.Images()) {
			t.Fatalf("skopeo inspect --raw: %v: %s", err, b)
		}
		for i, img := range ix.Images() {
			arch := img.Platform().Architecture
			if m := raw.Manifests[i]; m.Digest != img.Digest().String() || m.Platform.Architecture != arch {
				t.Errorf("skopeo sees %+v, want %s for %s", m, img.Digest(), arch)
			}
			args := append([]string{"inspect", "--override-os", "linux", "--override-arch", arch}, reg.SkopeoFlags(t, "")...)
			b, err := exec.Command(skopeo, append(args, "docker://"+reg.Ref("solo:v1"))...).CombinedOutput()
			if err != nil {
				t.Fatalf("skopeo inspect: %v\n%s", err, b)
			}
			var got struct{ Digest, Architecture string }
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			if got.Architecture != arch || got.Digest != want {
				t.Errorf("skopeo inspect --override-arch %s: %+v, want the index %s and %s", arch, got, want, arch)
			}
		}
	})

	t.Run("image from a binary, --image-refs", func(t *testing.T) {
		out := filepath.Join(dir, "single")
		mustBuild(t, "-o", out, bin)
		refs := filepath.Join(dir, "refs")
		args := append([]string{"build", "-q", "--push", reg.Ref("bin:v1"), "--image-refs", refs}, login...)
		code, stdout, stderr := minimageStdin(t, reg.Password, append(args, bin)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want := reg.Ref("bin:v1") + "@" + layoutDigest(t, out, "")
		if data, _ := os.ReadFile(refs); string(data) != want+"\n" {
			t.Errorf("--image-refs wrote %q, want %q", data, want)
		}
		if strings.Contains(stdout, "tagged") {
			t.Errorf("a push alone reports the local tags:\n%s", stdout)
		}
		// The pushed image is the registry's: pull it back.
		got, err := remote.PullImage(context.Background(), reg.Ref("bin:v1"), image.Platform{}, remote.Options{CAFiles: []string{reg.CA.File}, Username: reg.User, Password: reg.Password})
		if err != nil {
			t.Fatal(err)
		}
		if reg.Ref("bin:v1")+"@"+got.Digest().String() != want {
			t.Errorf("pulled %s, want %s", got.Digest(), want)
		}
	})

	// A base in the registry: pushed there first with minimage push.
	baseImg := imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: runtime.GOARCH},
		imagetest.Layer{"/etc/os-release": "ID=fixture\n", "/bin/": ""},
		imagetest.Layer{"/etc/motd": "on a base from a registry\n"},
	)
	baseDir := imagetest.WriteLayout(t, baseImg, "v1")
	if code, _, stderr := minimageStdin(t, reg.Password, append([]string{"push", "-q", baseDir + ":v1", reg.Ref("base:v1")}, login...)...); code != 0 {
		t.Fatalf("push the base: exit %d: %s", code, stderr)
	}

	t.Run("--base from the registry, mounted on push", func(t *testing.T) {
		mark := reg.Mark()
		args := append([]string{"build", "--base", reg.Ref("base:v1"), "--push", reg.Ref("onbase:v1")}, login...)
		code, stdout, stderr := minimageStdin(t, reg.Password, append(args, bin)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		es := reg.Requests(mark)
		for _, l := range baseImg.Layers() {
			var mounted bool
			for _, e := range es {
				hasLayer := strings.Contains(e.Path, l.Digest().Encoded())
				switch {
				case hasLayer && e.Method == "POST" && strings.Contains(e.Path, "mount=") && strings.Contains(e.Path, "from=base"):
					mounted = e.Status == 201
				case hasLayer && (e.Method == "PUT" || e.Method == "PATCH" || e.Method == "GET"):
					t.Errorf("base layer %s sent or fetched: %v", l.Digest(), e)
				}
			}
			if !mounted {
				t.Errorf("base layer %s not mounted from base; requests:\n%v", l.Digest(), es)
			}
		}
		if !strings.Contains(stderr, "mounted") {
			t.Errorf("no mount in the progress:\n%s", stderr)
		}
		if !strings.Contains(stdout, "pushed "+reg.Ref("onbase:v1")+"@sha256:") {
			t.Errorf("stdout:\n%s", stdout)
		}
	})

	t.Run("pull, then --base from the layout, as --base from the registry", func(t *testing.T) {
		pulled := filepath.Join(dir, "pulled")
		name := reg.Ref("base:v1")
		if code, _, stderr := minimageStdin(t, reg.Password, append([]string{"pull", "-q", name, "-o", pulled, "--tag", name}, login...)...); code != 0 {
			t.Fatalf("pull: exit %d: %s", code, stderr)
		}
		fromLayout := filepath.Join(dir, "from-layout")
		mustBuild(t, "--base", pulled+":"+name, "-o", fromLayout, bin)
		fromRegistry := filepath.Join(dir, "from-registry")
		args := append([]string{"build", "-q", "--base", name, "-o", fromRegistry}, login...)
		if code, _, stderr := minimageStdin(t, reg.Password, append(args, bin)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		a, b := layoutDigest(t, fromLayout, ""), layoutDigest(t, fromRegistry, "")
		if a != b {
			t.Errorf("--base from the pulled layout gives %s, from the registry %s", a, b)
		}
		l, err := layout.Read(fromRegistry)
		if err != nil {
			t.Fatal(err)
		}
		img, err := l.Image(context.Background(), "", image.Platform{})
		if err != nil {
			t.Fatal(err)
		}
		imagetest.AssertFiles(t, img, imagetest.Layer{"/etc/motd": "on a base from a registry\n"})
		if got := img.Manifest().Annotations["org.opencontainers.image.base.digest"]; got != baseImg.Digest().String() {
			t.Errorf("base.digest %q, want %s", got, baseImg.Digest())
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		args := append([]string{"build", "-q", "--push", reg.Ref("denied:v1")}, login...)
		code, _, stderr := minimageStdin(t, "not-it", append(args, bin)...)
		if code != 1 || !strings.Contains(stderr, reg.Host) || strings.Contains(stderr, "not-it") {
			t.Errorf("exit %d, stderr %q: want 1, naming the registry, without the password", code, stderr)
		}
		if tags := reg.Tags("denied"); len(tags) != 0 {
			t.Errorf("tags %v after a refused push", tags)
		}
	})
}

// TestBuildPushInProcess runs build --push against imagetest's registry,
// which needs no tool: plain HTTP, and --json with a local output too.
func TestBuildPushInProcess(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{})
	bin := helloBinary(t)
	out := filepath.Join(t.TempDir(), "app.tar")
	code, stdout, stderr := minimage(t, "build", "--json", "--insecure-allow-http", "-t", "app:v1", "-o", out, "--push", reg.Host()+"/app:v1", bin)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res build.Summary
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	got, err := remote.Pull(context.Background(), reg.Host()+"/app:v1", remote.Options{InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []build.OutputSummary{{Path: out, Format: "tarball"}}
	if res.Digest != got.Digest() || len(res.Pushed) != 1 || res.Pushed[0].Digest != res.Digest ||
		len(res.Outputs) != 1 || res.Outputs[0] != want[0] || len(res.Tags) != 1 || res.Tags[0] != "app:v1" {
		t.Errorf("--json %+v; the registry holds %s", res, got.Digest())
	}
	for _, s := range []string{"pushing " + reg.Host() + "/app:v1", "pushed"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	// Plain HTTP is never chosen on its own.
	code, _, stderr = minimage(t, "build", "-q", "--push", reg.Host()+"/app:v2", bin)
	if code != 1 || !strings.Contains(stderr, reg.Host()) {
		t.Errorf("push over HTTPS to an HTTP registry: exit %d: %s", code, stderr)
	}
	if _, err := remote.Pull(context.Background(), reg.Host()+"/app:v2", remote.Options{InsecureAllowHTTP: true}); err == nil {
		t.Error("app:v2 exists after a failed push")
	}
}

func TestBuildPushFlagErrors(t *testing.T) {
	bin := helloBinary(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--image-refs", "refs", "-o", "x"}, 2, "--image-refs lists pushed references"},
		{[]string{"--json", "-o", "-"}, 2, "stdout"},
		{nil, 2, "--push REGISTRY/REPO:TAG"},
		{[]string{"--push", "reg.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}, 1, "not a digest"},
		{[]string{"--push", "Reg.Example/App:v1"}, 1, "invalid reference"},
		{[]string{"--push", "a.example/app", "--push", "b.example/app", "--username", "u", "--password-stdin"}, 2, "one registry"},
		{[]string{"--push", "a.example/app", "--username", "u"}, 2, "--password-stdin"},
		{[]string{"--base", "missing.tar", "-o", "x"}, 1, "REGISTRY/REPOSITORY"},
	} {
		code, _, stderr := minimageStdin(t, "pw", append(append([]string{"build", "-q"}, tc.args...), bin)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("build %q: exit %d, %q; want exit %d saying %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

// TestBuildPushCredentialScope checks that --username goes to the --push
// registry only: a --base on another registry gets that registry's
// credentials from docker's config.json, and would refuse the flags'.
func TestBuildPushCredentialScope(t *testing.T) {
	dst := registrytest.New(t, registrytest.Options{User: "pusher", Password: "push-pw"})
	src := registrytest.New(t, registrytest.Options{User: "reader", Password: "read-pw"})
	baseImg := imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: runtime.GOARCH}, imagetest.Layer{"/etc/motd": "base\n"})
	src.Preload(t, "base", baseImg, "v1")
	docker := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("reader:read-pw"))
	if err := os.WriteFile(filepath.Join(docker, "config.json"), []byte(`{"auths":{"`+src.Host()+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", docker)
	code, _, stderr := minimageStdin(t, "push-pw", "build", "-q", "--insecure-allow-http", "--username", "pusher", "--password-stdin",
		"--base", src.Host()+"/base:v1", "--push", dst.Host()+"/app:v1", helloBinary(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, r := range src.Log() {
		if r.Status == 401 && r.Path != "/v2/" && !strings.HasPrefix(r.Path, "/v2/base/") {
			t.Errorf("the base's registry refused %v", r)
		}
	}
	// And the other way round: the flags' credentials for the base's
	// registry when there is no --push.
	out := filepath.Join(t.TempDir(), "oci")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	code, _, stderr = minimageStdin(t, "read-pw", "build", "-q", "--insecure-allow-http", "--username", "reader", "--password-stdin",
		"--base", src.Host()+"/base:v1", "-o", out, helloBinary(t))
	if code != 0 {
		t.Fatalf("--base with --username and no --push: exit %d: %s", code, stderr)
	}
}
