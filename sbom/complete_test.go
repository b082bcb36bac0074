package sbom

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCompleteAgainstGoVersion builds minimage's own command, which has
// module dependencies, and checks the document against what
// `go version -m` reports for the binary: every module it lists is a
// package with that version and its h1 sum, and the standard library is a
// package with the Go version.
func TestCompleteAgainstGoVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped in -short mode")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "minimage")
	build := exec.Command(goTool, "build", "-o", bin, "../cmd/minimage")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(goTool, "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	goVersion, want := parseGoVersionM(t, out)
	if len(want) == 0 {
		t.Fatalf("go version -m lists no dependencies:\n%s", out)
	}

	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	doc := checkDocument(t, generate(t, Input{
		Name: "minimage", Platform: "linux/amd64", Created: time.Unix(0, 0),
		Binary: NewFile("/minimage", data), BuildInfo: bi,
	}))
	have := make(map[string]tPackage)
	for _, p := range doc.Packages {
		have[p.Name] = p
	}
	for _, m := range want {
		p, ok := have[m.path]
		switch {
		case !ok:
			t.Errorf("module %s %s is not a package", m.path, m.version)
		case p.VersionInfo != m.version:
			t.Errorf("module %s: version %q, go version -m says %q", m.path, p.VersionInfo, m.version)
		case m.sum != "" && p.checksum("SHA256") != h1Hex(t, m.sum):
			t.Errorf("module %s: SHA256 %q, go version -m gives sum %s", m.path, p.checksum("SHA256"), m.sum)
		case mustPURL(t, p.ref("purl")).Version != m.version:
			t.Errorf("module %s: purl %s does not carry version %s", m.path, p.ref("purl"), m.version)
		}
	}
	std, ok := have["stdlib"]
	if !ok || std.VersionInfo != goVersion || mustPURL(t, std.ref("purl")).Version != strings.TrimPrefix(goVersion, "go") {
		t.Errorf("stdlib package %+v, want version %s", std, goVersion)
	}
	if got := len(doc.Packages) - 3; got != len(want) { // image, main, stdlib
		t.Errorf("%d module packages, go version -m lists %d modules", got, len(want))
	}
}

type listedModule struct{ path, version, sum string }

// parseGoVersionM reads the output of `go version -m`: the Go version of
// its first line and each dependency, replaced by its "=>" line where it
// has one, with a local replacement keeping the original path and no
// version.
func parseGoVersionM(t *testing.T, out []byte) (string, []listedModule) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Scan()
	first := strings.Fields(sc.Text())
	if len(first) < 2 {
		t.Fatalf("go version -m: first line %q", sc.Text())
	}
	var mods []listedModule
	for sc.Scan() {
		f := strings.Split(strings.TrimPrefix(sc.Text(), "\t"), "\t")
		f = append(f, "", "", "")
		switch f[0] {
		case "dep":
			mods = append(mods, listedModule{f[1], f[2], f[3]})
		case "=>":
			m := &mods[len(mods)-1]
			if strings.HasPrefix(f[1], ".") || strings.HasPrefix(f[1], "/") {
				m.version, m.sum = "", ""
			} else {
				*m = listedModule{f[1], f[2], f[3]}
			}
		}
	}
	return first[1], mods
}

func h1Hex(t *testing.T, sum string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sum, "h1:"))
	if err != nil {
		t.Fatalf("sum %q: %v", sum, err)
	}
	return hex.EncodeToString(raw)
}
