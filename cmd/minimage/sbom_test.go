package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/sbom"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestBuildSBOMFlags checks where each flag puts the SBOM, and the flag
// combinations that are refused.
func TestBuildSBOMFlags(t *testing.T) {
	t.Parallel()
	bin := helloBinary(t)
	dir := t.TempDir()
	platform := "--platform=linux/" + runtime.GOARCH
	name := sbom.FileName("hello:v1", "linux/"+runtime.GOARCH)

	t.Run("out, referrer and in the image", func(t *testing.T) {
		lay, out := filepath.Join(dir, "layout"), filepath.Join(dir, "sbom")
		stdout := mustBuild(t, platform, "-t", "hello:v1", "-o", lay, "--sbom-out", out, "--sbom-referrer", "--sbom-in-image", bin)
		doc, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("%v; stdout:\n%s", err, stdout)
		}
		for _, want := range []string{"wrote sbom " + filepath.Join(out, name), "sbom in the image at /usr/share/sbom/hello.spdx.json", "sbom referrer sha256:"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		l, err := layout.Read(lay)
		if err != nil {
			t.Fatal(err)
		}
		img, err := l.Image(t.Context(), "hello:v1", image.Platform{})
		if err != nil {
			t.Fatal(err)
		}
		if got := imagetest.Files(t, img)["/usr/share/sbom/hello.spdx.json"].Content; got != string(doc) {
			t.Errorf("the image's SBOM (%d bytes) is not the one in %s (%d bytes)", len(got), out, len(doc))
		}
		ds := l.Manifests()
		if len(ds) != 2 || ds[1].ArtifactType != sbom.MediaType || ds[1].Annotations[ocispec.AnnotationRefName] != "" {
			t.Fatalf("index.json lists %+v; want the image and an untagged SPDX referrer", ds)
		}
		a, err := image.Load(t.Context(), l, ds[1])
		if err != nil {
			t.Fatal(err)
		}
		m, ok := a.(*image.Manifest)
		if !ok || m.Subject() == nil || m.Subject().Digest != img.Digest() {
			t.Errorf("the referrer is %T with subject %v, want a manifest referring to %s", a, m.Subject(), img.Digest())
		}
	})
	t.Run("none", func(t *testing.T) {
		out := mustBuild(t, platform, "-o", filepath.Join(dir, "none"), "--sbom=none", bin)
		if strings.Contains(out, "sbom") {
			t.Errorf("--sbom=none still reports an SBOM:\n%s", out)
		}
	})
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"none with out", []string{"--sbom=none", "--sbom-out", dir}, "cannot be combined"},
		{"unknown mode", []string{"--sbom=cyclonedx"}, "want spdx or none"},
		{"referrer without a layout", []string{"--sbom-referrer"}, "there is none"},
		{"in-image at the binary", []string{"--sbom-in-image=/hello"}, "is the binary's"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := "-o=" + filepath.Join(dir, c.name+".tar")
			code, _, errs := minimage(t, append(append([]string{"build", "-q", platform, out}, c.args...), bin)...)
			if code == 0 || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", code, errs, c.want)
			}
		})
	}
}

// TestSBOMReproducible builds the same program twice as separate
// processes, under different GOMAXPROCS, time zones and umasks: the SBOMs
// have the same bytes, and they are created at SOURCE_DATE_EPOCH.
func TestSBOMReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the program four times")
	}
	exe := minimageExe(t)
	hello := filepath.Join(repoRoot(t), "examples", "hello")
	var docs [][]byte
	for i, env := range [][]string{
		{"GOMAXPROCS=1", "TZ=UTC", "UMASK=022"},
		{"GOMAXPROCS=4", "TZ=Pacific/Chatham", "UMASK=077"},
	} {
		dir := t.TempDir()
		cmd := exec.Command("sh", "-c", `umask "$UMASK" && exec "$@"`, "sh", exe, "build", "-q",
			"--platform=linux/amd64,linux/arm64", "--zones=Europe/Paris", "--localtime=Europe/Paris",
			"-t", "hello:v1", "-o", filepath.Join(dir, "layout"), "--sbom-out", filepath.Join(dir, "sbom"), "--bin-cache=", hello)
		cmd.Env = append(os.Environ(), append(env, "SOURCE_DATE_EPOCH=1700000000")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %d (%q): %v\n%s", i, env, err, out)
		}
		var both []byte
		for _, p := range []string{"linux/amd64", "linux/arm64"} {
			doc, err := os.ReadFile(filepath.Join(dir, "sbom", sbom.FileName("hello:v1", p)))
			if err != nil {
				t.Fatal(err)
			}
			var d struct{ CreationInfo struct{ Created string } }
			if err := json.Unmarshal(doc, &d); err != nil || d.CreationInfo.Created != "2023-11-14T22:13:20Z" {
				t.Errorf("build %d, %s: created %q (%v); want SOURCE_DATE_EPOCH, 2023-11-14T22:13:20Z", i, p, d.CreationInfo.Created, err)
			}
			both = append(both, doc...)
		}
		docs = append(docs, both)
	}
	if !bytes.Equal(docs[0], docs[1]) {
		t.Errorf("the two builds' SBOMs differ:\n%s\n----\n%s", docs[0], docs[1])
	}
}

// TestPushLayoutReferrers pushes a layout that holds SBOM referrers,
// without naming its tag: the image goes under the tag, each referrer by
// its digest, and the registry lists one referrer per platform.
func TestPushLayoutReferrers(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	lay := filepath.Join(t.TempDir(), "layout")
	mustBuild(t, "--platform=linux/amd64,linux/arm64", "--bare", "-t", "hello:v1", "-o", lay, "--sbom-referrer", filepath.Join(repoRoot(t), "examples", "hello"))
	l, err := layout.Read(lay)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := l.Index(t.Context(), "hello:v1")
	if err != nil {
		t.Fatal(err)
	}
	out, errs, err := registryCmd(t, "", push, "--insecure-allow-http", lay, reg.Host()+"/hello:v1")
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	if want := reg.Host() + "/hello:v1@" + ix.Digest().String() + "\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if n := strings.Count(errs, "pushed referrer"); n != 2 {
		t.Errorf("stderr tells of %d referrers pushed, want 2:\n%s", n, errs)
	}
	for _, img := range ix.Images() {
		resp, err := reg.Client().Get(reg.URL() + "/v2/hello/referrers/" + img.Digest().String())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var list ocispec.Index
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil {
			t.Fatalf("referrers of %s: %d %s", img.Platform(), resp.StatusCode, body)
		}
		if len(list.Manifests) != 1 || list.Manifests[0].ArtifactType != sbom.MediaType {
			t.Errorf("referrers of %s: %+v, want one SPDX document", img.Platform(), list.Manifests)
		}
	}
}

// TestBuildPushSBOM runs build --push: each platform's SBOM is attached
// to its manifest as a referrer, and --sbom=none attaches nothing.
func TestBuildPushSBOM(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	hello := filepath.Join(repoRoot(t), "examples", "hello")
	for _, c := range []struct {
		repo  string
		flags []string
		want  int
	}{
		{"hello", nil, 1},
		{"plain", []string{"--sbom=none"}, 0},
	} {
		args := append([]string{"--platform=linux/amd64,linux/arm64", "--bare", "--insecure-allow-http", "--push", reg.Host() + "/" + c.repo + ":v1"}, c.flags...)
		out := mustBuild(t, append(args, hello)...)
		if n := strings.Count(out, "sbom referrer"); n != 2*c.want {
			t.Errorf("%s: the report names %d referrers, want %d:\n%s", c.repo, n, 2*c.want, out)
		}
		platforms := 0
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || f[1] != "manifest" {
				continue
			}
			platforms++
			resp, err := reg.Client().Get(reg.URL() + "/v2/" + c.repo + "/referrers/" + f[2])
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var list ocispec.Index
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil {
				t.Fatalf("referrers of %s: %d %s", f[2], resp.StatusCode, body)
			}
			// The provenance is a referrer too.
			list.Manifests = slices.DeleteFunc(list.Manifests, func(d ocispec.Descriptor) bool { return d.ArtifactType != sbom.MediaType })
			if len(list.Manifests) != c.want || c.want == 1 && list.Manifests[0].ArtifactType != sbom.MediaType {
				t.Errorf("%s %s: referrers %+v, want %d SPDX document", c.repo, f[0], list.Manifests, c.want)
			}
		}
		if platforms != 2 {
			t.Errorf("%s: the report lists %d platform manifests, want 2:\n%s", c.repo, platforms, out)
		}
	}
}

// TestSBOMOnlyWhereItGoes checks that build makes the SBOMs only when a
// flag or a push receives them: without a sink, making them would cost
// the binary's SHA-1 and SHA-256 for nothing.
func TestSBOMOnlyWhereItGoes(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(bin, []byte("not run"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		none bool
	}{
		{[]string{"-o", out}, true},
		{[]string{"-o", out + ".tar"}, true},
		{[]string{"-o", out, "--sbom=spdx"}, true},
		{[]string{"-o", out, "--sbom=none"}, true},
		{[]string{"-o", out, "--sbom-out", t.TempDir()}, false},
		{[]string{"-o", out, "--sbom-referrer"}, false},
		{[]string{"-o", out + ".tar", "--sbom-in-image"}, false},
		{[]string{"--push", "registry.example/app:v1"}, false},
	} {
		var f buildFlags
		fs := newBuildFlagSet(&f, io.Discard, io.Discard)
		if err := fs.Parse(c.args); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		r, err := f.recipe([]string{bin}, io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if r.SBOM.None != c.none {
			t.Errorf("%q: SBOM.None = %v, want %v", c.args, r.SBOM.None, c.none)
		}
	}
}
