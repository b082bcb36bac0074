package interop

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/sbom"
)

// TestSBOMFromCLI checks the SBOM "minimage build --sbom-out" wrote, from
// the build's report, against what the image holds: it is byte for byte
// the document made from the layout's bytes alone (the binary read back
// from its layer, the CA bundle and zone files from theirs), and it lists
// every module `go version -m` reports for the binary in the image, with
// its version and h1 sum. TestSBOMValid checks it against the schema.
func TestSBOMFromCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no image built")
	}
	f := sbomImage(t)
	var d struct{ CreationInfo struct{ Creators []string } }
	if err := json.Unmarshal(f.cliDoc, &d); err != nil || len(d.CreationInfo.Creators) != 1 {
		t.Fatalf("creators %q (%v)", d.CreationInfo.Creators, err)
	}
	in := f.input
	in.Tool = strings.TrimPrefix(d.CreationInfo.Creators[0], "Tool: ")
	in.Name, _, _ = strings.Cut(in.Name, ":") // the document names the repository, not the tag
	if want := generateSBOM(t, in); !bytes.Equal(f.cliDoc, want) {
		t.Errorf("the CLI's SBOM differs from the one made from the layout:\n%s\n----\n%s", f.cliDoc, want)
	}

	l, err := layout.Read(f.layout)
	if err != nil {
		t.Fatal(err)
	}
	img, err := l.Image(t0(), "", image.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "minimage")
	if err := os.WriteFile(bin, []byte(imagetest.Files(t, img)[in.Binary.Path].Content), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	goVersion, mods := goVersionM(t, out)
	ours := spdxPackages(t, f.cliDoc)
	if len(mods) < 3 {
		t.Fatalf("go version -m lists %d modules:\n%s", len(mods), out)
	}
	for _, m := range mods {
		p, ok := ours[m[0]]
		switch {
		case !ok:
			t.Errorf("go version -m lists %s %s; the SBOM does not", m[0], m[1])
		case p.version != m[1] || p.sha256 != m[2]:
			t.Errorf("module %s: the SBOM says %s %s, go version -m %s %s", m[0], p.version, p.sha256, m[1], m[2])
		}
	}
	if ours["stdlib"].version != goVersion {
		t.Errorf("stdlib %q, the binary's Go is %s", ours["stdlib"].version, goVersion)
	}
}

// goVersionM reads `go version -m`: the Go version and each dependency
// (path, version, h1 sum as hex), after its replacement where it has one.
func goVersionM(t *testing.T, out []byte) (string, [][3]string) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Scan()
	first := strings.Fields(sc.Text())
	var mods [][3]string
	for sc.Scan() {
		f := append(strings.Split(strings.TrimPrefix(sc.Text(), "\t"), "\t"), "", "", "")
		if f[0] != "dep" && f[0] != "=>" {
			continue
		}
		sum, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f[3], "h1:"))
		if err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		m := [3]string{f[1], f[2], hex.EncodeToString(sum)}
		if f[0] == "=>" {
			mods[len(mods)-1] = m
		} else {
			mods = append(mods, m)
		}
	}
	return first[len(first)-1], mods
}

// TestSBOMReferrerOras builds a two-platform index with its SBOMs as
// referrers in the layout, and asks oras where they are: oras discover
// --oci-layout finds one SPDX referrer per platform; after a push of the
// index and the referrers (by digest, as minimage push does) to Debian's
// docker-registry (no referrers API), oras discover finds them
// through the referrers tag schema, and oras pull of one gives the file
// --sbom-out wrote. The layout's other readers need its tag: skopeo
// refuses it without one. Install oras with
// go install oras.land/oras/cmd/oras@v1.3.6.
func TestSBOMReferrerOras(t *testing.T) {
	oras, err := exec.LookPath("oras")
	if err != nil {
		t.Skip("oras not installed")
	}
	if testing.Short() {
		t.Skip("-short: no image built")
	}
	exe := sbomImage(t).exe
	dir := t.TempDir()
	lay, sbomDir := filepath.Join(dir, "layout"), filepath.Join(dir, "sbom")
	cmd := exec.Command(exe, "build", "-q", "--platform=linux/amd64,linux/arm64", "--bare", "-t", "v1", "-o", lay, "--sbom-referrer", "--sbom-out", sbomDir, "./examples/hello")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("minimage build: %v\n%s", err, out)
	}
	l, err := layout.Read(lay)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := l.Index(t0(), "v1")
	if err != nil {
		t.Fatal(err)
	}

	// discover lists what oras discover --format json finds for the
	// platform image of target.
	discover := func(t *testing.T, platform string, args ...string) []string {
		t.Helper()
		out, err := exec.Command(oras, append([]string{"discover", "--format", "json", "--platform", platform}, args...)...).Output()
		if err != nil {
			t.Fatalf("oras discover %q: %v\n%s", args, err, out)
		}
		var tree struct {
			Digest    string
			Referrers []struct{ Digest, ArtifactType string }
		}
		if err := json.Unmarshal(out, &tree); err != nil {
			t.Fatal(err)
		}
		var spdx []string
		for _, r := range tree.Referrers {
			if r.ArtifactType == sbom.MediaType {
				spdx = append(spdx, r.Digest)
			}
		}
		return append([]string{tree.Digest}, spdx...)
	}
	check := func(t *testing.T, args ...string) map[string]string {
		t.Helper()
		refs := map[string]string{}
		for _, img := range ix.Images() {
			got := discover(t, img.Platform().String(), args...)
			if got[0] != img.Digest().String() || len(got) != 2 {
				t.Errorf("%s: oras discover finds %q; want the image %s and one SPDX referrer", img.Platform(), got, img.Digest())
				continue
			}
			refs[img.Platform().String()] = got[1]
		}
		return refs
	}

	var local map[string]string
	t.Run("layout", func(t *testing.T) {
		local = check(t, "--oci-layout", lay+":v1")
		if out, err := exec.Command("skopeo", "inspect", "oci:"+lay).CombinedOutput(); err == nil {
			t.Errorf("skopeo inspect oci:DIR without a tag succeeds on a layout with referrers: %s", out)
		}
	})
	t.Run("docker-registry", func(t *testing.T) {
		reg := dockerregistry.Start(t, dockerregistry.Config{})
		t.Setenv("DOCKER_CONFIG", t.TempDir())
		// What minimage push does with the layout: the index under its
		// tag, then each referrer by digest.
		opts := remote.Options{CAFiles: []string{reg.CA.File}, Username: reg.User, Password: reg.Password}
		if _, err := remote.Push(t0(), reg.Ref("hello:v1"), ix, opts); err != nil {
			t.Fatal(err)
		}
		for _, d := range l.Manifests() {
			if d.ArtifactType != sbom.MediaType {
				continue
			}
			a, err := image.Load(t0(), l, d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := remote.Push(t0(), reg.Ref("hello@"+d.Digest.String()), a, opts); err != nil {
				t.Fatal(err)
			}
		}
		login := []string{"--ca-file", reg.CA.File, "-u", reg.User, "-p", reg.Password}
		remote := check(t, append(login, reg.Ref("hello:v1"))...)
		for p, d := range remote {
			if local[p] != d {
				t.Errorf("%s: the registry's referrer is %s, the layout's %s", p, d, local[p])
			}
		}
		pulled := t.TempDir()
		d := remote["linux/arm64"]
		if out, err := exec.Command(oras, append([]string{"pull", "-o", pulled}, append(login, reg.Ref("hello@"+d))...)...).CombinedOutput(); err != nil {
			t.Fatalf("oras pull: %v\n%s", err, out)
		}
		name := sbom.FileName("hello:v1", "linux/arm64")
		got, err := os.ReadFile(filepath.Join(pulled, name))
		want, _ := os.ReadFile(filepath.Join(sbomDir, name))
		if err != nil || !bytes.Equal(got, want) || len(want) == 0 {
			t.Errorf("oras pull of the referrer: %s (%v) differs from --sbom-out's", name, err)
		}
	})
}
