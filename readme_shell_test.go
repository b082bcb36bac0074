package minimage_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
)

// shellLine is one command line of a README sh block.
type shellLine struct {
	where string // README.md:N
	text  string
}

var (
	shBlockRE = regexp.MustCompile("(?s)(?:<!-- readme-test: ([^>]*) -->\\n[ \\t]*)?```sh\\n(.*?)```")
	dockerHub = regexp.MustCompile(`(^|\s)alpine:3\.20\b`)
)

// readmeShell returns the lines of README.md's sh blocks, in order. A
// block after "<!-- readme-test: skip REASON -->" is left out; one after
// "<!-- readme-test: needs TOOL... -->" keeps the lines that name none of
// the tools, and those whose tools are usable.
func readmeShell(t *testing.T) (run []shellLine, skipped []string) {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, m := range shBlockRE.FindAllStringSubmatchIndex(text, -1) {
		first := 1 + strings.Count(text[:m[4]], "\n")
		var marker string
		if m[2] >= 0 {
			marker = text[m[2]:m[3]]
		}
		if reason, ok := strings.CutPrefix(marker, "skip "); ok {
			skipped = append(skipped, fmt.Sprintf("README.md:%d: block (%s)", first, reason))
			continue
		}
		needs, _ := strings.CutPrefix(marker, "needs ")
	lines:
		for i, l := range strings.Split(strings.TrimRight(text[m[4]:m[5]], "\n"), "\n") {
			where := fmt.Sprintf("README.md:%d", first+i)
			for _, tool := range strings.Fields(needs) {
				if !usable(tool) && regexp.MustCompile(`(^\s*|[|&;(]\s*)`+tool+`\b`).MatchString(l) {
					skipped = append(skipped, where+": "+tool+" is not in $MINIMAGE_README_TOOLS or not installed")
					continue lines
				}
			}
			if strings.HasPrefix(l, "go test ") {
				// The command that runs this test.
				skipped = append(skipped, where+": the test suite itself")
				continue
			}
			run = append(run, shellLine{where, l})
		}
	}
	return run, skipped
}

// usable reports whether the lines naming tool run: those naming an
// engine or another tool the README shows need a daemon, a user namespace
// or rlimits a test machine may not give, so they run only where
// $MINIMAGE_README_TOOLS names tool (as CI, after interop started them)
// and tool is installed.
func usable(tool string) bool {
	if !slices.Contains(strings.Fields(os.Getenv("MINIMAGE_README_TOOLS")), tool) {
		return false
	}
	_, err := exec.LookPath(tool)
	return err == nil
}

// TestREADMEShell runs every sh block of the README in order, in a new
// module holding ./examples/hello and ./cmd/app (both examples/hello),
// with minimage built once and on PATH. Registry hosts are rewritten to
// an in-process registry over TLS (its CA in SSL_CERT_FILE), Docker Hub's
// alpine:3.20 included; nothing else is changed.
func TestREADMEShell(t *testing.T) {
	if testing.Short() {
		t.Skip("builds minimage and images for two platforms, several times")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	lines, skipped := readmeShell(t)
	if len(lines) < 12 {
		t.Fatalf("%d README lines to run; the extraction has stopped finding them", len(lines))
	}
	work := t.TempDir()
	bin := filepath.Join(work, ".bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "minimage"), "./cmd/minimage")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/minimage: %v\n%s", err, out)
	}
	src, err := os.ReadFile("examples/hello/main.go")
	if err != nil {
		t.Fatal(err)
	}
	reg := registrytest.New(t, registrytest.Options{TLS: true})
	files := map[string][]byte{
		"go.mod":                 []byte("module example.com/app\n\ngo 1.24\n"),
		"examples/hello/main.go": src,
		"cmd/app/main.go":        src,
		".ca.pem":                reg.CAPEM(),
		".docker/config.json":    []byte("{}\n"),
	}
	for name, b := range files {
		p := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seedRegistry(t, reg)
	// XDG_CACHE_HOME below keeps minimage's binary cache in work; Go's
	// build cache, which would follow it, stays where it is, or every go
	// build the README runs compiles the standard library again.
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}

	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, l := range lines {
		s := strings.ReplaceAll(l.text, "go run ./cmd/minimage", "minimage")
		s = strings.ReplaceAll(s, "ghcr.io/", reg.Host()+"/")
		s = dockerHub.ReplaceAllString(s, "${1}"+reg.Host()+"/library/alpine:3.20")
		fmt.Fprintf(&script, "echo %q >&2\n%s\n", "+ "+l.where+": "+s, s)
	}
	cmd := exec.Command(bash, "-c", script.String())
	cmd.Dir = work
	cmd.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SSL_CERT_FILE="+filepath.Join(work, ".ca.pem"),
		"DOCKER_CONFIG="+filepath.Join(work, ".docker"),
		"XDG_CACHE_HOME="+filepath.Join(work, ".cache"),
		"GOCACHE="+strings.TrimSpace(string(gocache)),
		"GIT_DIR="+filepath.Join(work, ".git"),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GOFLAGS=-buildvcs=false")
	git := exec.Command("bash", "-c", "git init -q && git commit -q --allow-empty -m readme")
	git.Dir, git.Env = work, cmd.Env
	if out, err := git.CombinedOutput(); err != nil {
		t.Fatalf("git: %v\n%s", err, out)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's commands failed: %v\n%s", err, out)
	}
	t.Logf("skipped:\n%s", strings.Join(skipped, "\n"))
}

// seedRegistry puts in reg what the README's commands expect to find
// there: Docker Hub's alpine:3.20 (an arm64 image among others), a base
// image, and the per-runner images a CI matrix pushed.
func seedRegistry(t *testing.T, reg *registrytest.Registry) {
	t.Helper()
	opts := remote.Options{HTTPClient: reg.Client()}
	amd64 := image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := image.Platform{OS: "linux", Architecture: "arm64"}
	for ref, a := range map[string]image.Artifact{
		"library/alpine:3.20": imagetest.FixtureIndex(t),
		"me/base:v1":          imagetest.Fixture(t, amd64),
		"me/app:v1-amd64":     imagetest.Fixture(t, amd64),
		"me/app:v1-arm64":     imagetest.Fixture(t, arm64),
	} {
		if _, err := remote.Push(t.Context(), reg.Host()+"/"+ref, a, opts); err != nil {
			t.Fatal(err)
		}
	}
}
