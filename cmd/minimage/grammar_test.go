package main

// The CLI grammar: the same flag means the same thing in every command,
// every command that writes takes -o/--output, -q leaves stderr empty,
// and a usage error is one line and the help hint.

import (
	"context"
	"flag"
	"io"
	"maps"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/cli"
)

// commandFlagSets returns the flag set of each command, as run parses
// it, by the command line's words.
func commandFlagSets() map[string]*flag.FlagSet {
	d := io.Discard
	return map[string]*flag.FlagSet{
		"build":          newBuildFlagSet(new(buildFlags), d, d),
		"inspect":        newInspectFlagSet(new(inspectFlags), d, d),
		"export":         newExportFlagSet(new(exportFlags), d, d),
		"verify":         newVerifyFlagSet(new(verifyFlags), d, d),
		"push":           newPushFlagSet(new(pushFlags), d, d),
		"pull":           newPullFlagSet(new(pullFlags), d, d),
		"index create":   newIndexFlagSet(new(indexFlags), d, d),
		"key generate":   newKeyFlagSet(new(string), d, d),
		"sign":           newSignFlagSet(new(signFlags), d, d),
		"registry serve": newServeFlagSet(new(serveFlags), d, d),
	}
}

// writers are the commands that write an image or a tar, and so take
// -o/--output. key generate writes two files under cosign's flag,
// --output-key-prefix.
var writers = []string{"build", "export", "pull", "index create"}

// flagVariants are the flags whose meaning is the command's own: where
// to write, what to tag, which platform, what JSON to print. Every other
// flag has one usage text in every command that takes it.
var flagVariants = map[string][]string{
	"o": writers, "output": writers,
	"t": {"build", "push", "pull", "index create"}, "tag": {"build", "push", "pull", "index create"},
	"platform":       {"build", "inspect", "export", "pull"},
	"json":           {"build", "push", "inspect"},
	"image-refs":     {"build", "push"},
	"key":            {"verify", "sign"},
	"a":              {"verify", "sign"},
	"verify-key":     {"build", "pull"}, // the base; what is pulled
	"annotation":     {"build", "index create"},
	"password-stdin": {"registry serve"}, // the server's password, not a login
	"user":           {"registry serve"}, // the user the server lets in; build's is the image's
}

func TestGrammarEveryCommandListed(t *testing.T) {
	t.Parallel()
	sets := commandFlagSets()
	for _, c := range commands {
		if c == "version" || c == "help" {
			continue
		}
		if !slices.ContainsFunc(slices.Collect(maps.Keys(sets)), func(k string) bool { return strings.Fields(k)[0] == c }) {
			t.Errorf("command %s has no flag set in commandFlagSets", c)
		}
	}
}

func TestGrammarSameFlagSameMeaning(t *testing.T) {
	t.Parallel()
	usages := map[string]map[string][]string{} // flag → usage → commands
	for cmd, fs := range commandFlagSets() {
		fs.VisitAll(func(f *flag.Flag) {
			if slices.Contains(flagVariants[f.Name], cmd) {
				return
			}
			if usages[f.Name] == nil {
				usages[f.Name] = map[string][]string{}
			}
			usages[f.Name][f.Usage] = append(usages[f.Name][f.Usage], cmd)
		})
	}
	for name, us := range usages {
		if len(us) > 1 {
			t.Errorf("--%s means %d things; give it one usage text, or declare the variants in flagVariants: %q", name, len(us), us)
		}
	}
}

func TestGrammarAliases(t *testing.T) {
	t.Parallel()
	for cmd, fs := range commandFlagSets() {
		for _, pair := range [][2]string{{"o", "output"}, {"q", "quiet"}, {"t", "tag"}, {"h", "help"}} {
			short, long := fs.Lookup(pair[0]), fs.Lookup(pair[1])
			if short != nil && (long == nil || !cli.SameValue(short.Value, long.Value)) || long != nil && short == nil && pair[0] != "t" {
				t.Errorf("%s: -%s and --%s should both exist, one flag under two names", cmd, pair[0], pair[1])
			}
		}
		if slices.Contains(writers, cmd) && fs.Lookup("o") == nil {
			t.Errorf("%s writes, and has no -o/--output", cmd)
		}
		if fs.Lookup("jobs") != nil && !slices.Contains([]string{"build", "push", "index create", "sign"}, cmd) {
			t.Errorf("%s uploads nothing, and takes --jobs (upload n blobs at once)", cmd)
		}
	}
}

// TestGrammarQuiet: each command with -q prints nothing on stderr when
// it succeeds.
func TestGrammarQuiet(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("COSIGN_PASSWORD", "pw")
	img := imagetest.Image(t, imagetest.Spec{Seed: 301, Layers: 1, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}}})
	app := reg.Host() + "/app:v1"
	if _, err := remote.Push(context.Background(), app, img, remote.Options{InsecureAllowHTTP: true}); err != nil {
		t.Fatal(err)
	}
	dir, key := imagetest.WriteLayout(t, img, "v1"), filepath.Join(t.TempDir(), "k")
	h := "--insecure-allow-http"
	for _, args := range [][]string{
		{"build", "-q", "-o", "-", helloBinary(t)},
		{"inspect", "-q", h, app},
		{"export", "-q", h, app, "-o", "-"},
		{"verify", "-q", dir},
		{"verify", "-q", h, app},
		{"push", "-q", h, dir, reg.Host() + "/app:v2"},
		{"pull", "-q", h, app, "-o", filepath.Join(t.TempDir(), "out")},
		{"index", "create", "-q", h, reg.Host() + "/ix:v1", app},
		{"key", "generate", "--output-key-prefix", key}, // it has no -q, and nothing to say
		{"sign", "-q", h, "--key", key + ".key", app},
	} {
		if code, _, errs := minimage(t, args...); code != 0 || errs != "" {
			t.Errorf("minimage %s: exit %d, stderr %q; want exit 0 and nothing on stderr", strings.Join(args, " "), code, errs)
		}
	}
}

// TestGrammarWaitNotes: a registry that does not answer gets a note per
// retry, unless -q.
func TestGrammarWaitNotes(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	out := filepath.Join(t.TempDir(), "out")
	_, _, errs := minimage(t, "pull", "--insecure-allow-http", "--retries", "2", dead+"/app:v1", "-o", out)
	if n := strings.Count(errs, "trying again in"); n != 2 || !strings.Contains(errs, dead) {
		t.Errorf("pull from a registry that is down: %d notes, want 2 naming %s:\n%s", n, dead, errs)
	}
	_, _, errs = minimage(t, "pull", "-q", "--insecure-allow-http", "--retries", "2", dead+"/app:v1", "-o", out)
	if strings.Contains(errs, "trying again") || strings.Count(errs, "\n") != 1 {
		t.Errorf("pull -q: want the error alone:\n%s", errs)
	}
}

// TestGrammarUsageErrors: a bad flag or a missing argument prints one
// line naming the command, then the hint, and exits 2.
func TestGrammarUsageErrors(t *testing.T) {
	t.Parallel()
	var cases [][]string
	for cmd := range commandFlagSets() {
		cases = append(cases, append(strings.Fields(cmd), "--no-such-flag", "x"))
	}
	cases = append(cases,
		[]string{"build"}, []string{"build", "a", "b"}, []string{"build", "--allow-dynamic", "-o", "x", "."},
		[]string{"inspect"}, []string{"export"}, []string{"export", "x"}, []string{"verify"},
		[]string{"push", "x"}, []string{"pull", "x"}, []string{"pull", "x", "-o", "x.tgz"}, []string{"index", "create", "x.tgz", "y"},
		[]string{"index", "create", "x"}, []string{"index"}, []string{"key"}, []string{"key", "x"},
		[]string{"sign", "x"}, []string{"registry"}, []string{"registry", "serve", "x"},
	)
	for _, args := range cases {
		code, out, errs := minimage(t, args...)
		lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
		if code != 2 || out != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "minimage "+args[0]+": ") || lines[1]+"\n" != usageHint(args[0]) {
			t.Errorf("minimage %s: exit %d, stdout %q, stderr:\n%s\nwant exit 2, one line and %q", strings.Join(args, " "), code, out, errs, usageHint(args[0]))
		}
	}
}

// TestGrammarFlagWords: a registry error whose fix is an option names
// the flag, not the library's field.
func TestGrammarFlagWords(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{}) // plain HTTP
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	_, _, errs := minimage(t, "pull", "-q", "--retries", "0", reg.Host()+"/app:v1", "-o", filepath.Join(t.TempDir(), "out"))
	if !strings.Contains(errs, "set --insecure-allow-http") || strings.Contains(errs, "Options.") {
		t.Errorf("pull over TLS from a plain HTTP registry: %q; want the fix named by its flag", errs)
	}
	_, _, errs = minimage(t, "build", "-q", "--zones", "Mars/*", "-o", filepath.Join(t.TempDir(), "out"), helloBinary(t))
	if !strings.Contains(errs, `--zones "Mars/*": no zone`) || strings.Contains(errs, "tzdata.") {
		t.Errorf("build --zones Mars/*: %q; want the flag named, not tzdata's words", errs)
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc for a dynamically linked binary")
	}
	cgo := goBuildTest(t, t.TempDir(), "package main\n// int x = 1;\nimport \"C\"\nfunc main(){ _ = C.x }\n", "CGO_ENABLED=1")
	_, _, errs = minimage(t, "build", "-q", "-o", filepath.Join(t.TempDir(), "out"), cgo)
	if !strings.Contains(errs, "--allow-dynamic with a --base") || strings.Contains(errs, "Options.") {
		t.Errorf("build of a dynamically linked binary: %q; want the fix named by its flags", errs)
	}
}
