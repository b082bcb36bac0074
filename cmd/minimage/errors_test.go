package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goBuildTest compiles a tiny program with the given environment.
func goBuildTest(t *testing.T, dir, src string, env ...string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module probe\n\ngo 1.26\n"), 0o644)
	bin := filepath.Join(dir, "probe")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build the test binary (%v): %s", err, out)
	}
	return bin
}

func TestBadInputLeavesOutputIntact(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	hello := filepath.Join(repoRoot(t), "examples", "hello")
	mustBuild(t, "-t", "keep:v1", "-o", good, hello)
	before := snapshot(t, good)

	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	wrongArch := goBuildTest(t, t.TempDir(), "package main\nfunc main(){}\n", "CGO_ENABLED=0", "GOARCH="+other)
	corrupt := filepath.Join(dir, "corrupt")
	os.MkdirAll(corrupt, 0o755)
	os.WriteFile(filepath.Join(corrupt, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	os.WriteFile(filepath.Join(corrupt, "index.json"), []byte(`{"schemaVersion":2,"manifests":[{`), 0o644)
	readOnly := filepath.Join(dir, "ro")
	os.MkdirAll(readOnly, 0o555)

	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"missing target", []string{"-o", good, "./does/not/exist"}, 1, "does not exist"},
		{"no target", []string{"-o", good}, 2, "want TARGET..."},
		{"wrong arch", []string{"--platform", "linux/" + runtime.GOARCH, "-o", good, wrongArch}, 1, "is built for linux/" + other + ", which is not among the platforms asked for (linux/" + runtime.GOARCH + ")"},
		{"unknown zone", []string{"--zones", "Europe/Pariss", "-o", good, hello}, 1, "Europe/Paris"},
		{"bad platform", []string{"--platform", "linux", "-o", good, hello}, 2, "--platform"},
		{"windows platform", []string{"--platform", "windows/amd64", "-o", good, hello}, 1, "linux images only"},
		{"bad created", []string{"--created", "yesterday", "-o", good, hello}, 1, "RFC 3339"},
		{"bad level", []string{"--level", "12", "-o", good, hello}, 1, "1 (fastest) to 9"},
		{"bad user", []string{"--user", "bob", "-o", good, hello}, 1, "UID[:GID]"},
		{"corrupt base", []string{"--base", corrupt, "-o", good, hello}, 1, "index.json"},
		{"not a layout", []string{"-o", filepath.Join(repoRoot(t), "examples"), hello}, 1, "layout"},
		{"no output", []string{hello}, 2, "-o DIR"},
	}
	if os.Getuid() != 0 {
		cases = append(cases, struct {
			name string
			args []string
			code int
			says string
		}{"unwritable output", []string{"-o", filepath.Join(readOnly, "x.tar"), hello}, 1, "x.tar"})
	} else {
		cases = append(cases, struct {
			name string
			args []string
			code int
			says string
		}{"unwritable output", []string{"-o", "/proc/version.tar", hello}, 1, "/proc"})
	}
	if _, err := exec.LookPath("gcc"); err == nil {
		cgo := goBuildTest(t, t.TempDir(), "package main\n// int x = 1;\nimport \"C\"\nfunc main(){ _ = C.x }\n", "CGO_ENABLED=1")
		cases = append(cases, struct {
			name string
			args []string
			code int
			says string
		}{"cgo binary", []string{"-o", good, cgo}, 1, "CGO_ENABLED=0"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := minimage(t, append([]string{"build", "-q"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, errs)
			}
			lines := strings.Split(strings.TrimSpace(strings.TrimSuffix(errs, usageHint("build"))), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, c.says) || !strings.HasPrefix(last, "minimage build: ") {
				t.Errorf("stderr ends %q; want one line starting \"minimage build: \" that mentions %q", last, c.says)
			}
			if c.code == 2 && (strings.Contains(errs, "Usage:") || !strings.HasSuffix(errs, usageHint("build"))) {
				t.Errorf("a usage error should print one line and the hint, not the usage:\n%s", errs)
			}
			if after := snapshot(t, good); after != before {
				t.Errorf("the existing layout changed")
			}
		})
	}
}

// snapshot hashes every file under dir, names and contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return string(h.Sum(nil))
}

// TestReproducible builds the same TARGET twice, from different working
// directories with different GOMAXPROCS, TZ and umask, and wants the same
// bytes.
func TestReproducible(t *testing.T) {
	t.Parallel()
	exe := filepath.Join(t.TempDir(), "minimage")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("building minimage: %v\n%s", err, out)
	}
	hello := filepath.Join(repoRoot(t), "examples", "hello")
	var outs [][]byte
	for i, env := range [][]string{
		{"GOMAXPROCS=1", "TZ=UTC"},
		{"GOMAXPROCS=4", "TZ=Asia/Kolkata"},
	} {
		wd := t.TempDir()
		umask := []string{"022", "077"}[i]
		cmd := exec.Command("sh", "-c", "umask "+umask+" && exec \"$0\" build -q --zones Europe/*,America/New_York -o - \"$1\"", exe, hello)
		cmd.Dir = wd
		cmd.Env = append(os.Environ(), env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("build %d: %v\n%s", i, err, stderr.String())
		}
		outs = append(outs, out)
	}
	if len(outs[0]) == 0 || !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("two builds of the same target differ: %d and %d bytes", len(outs[0]), len(outs[1]))
	}
}
