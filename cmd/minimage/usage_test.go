package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestHelp: -h and --help print the usage on stdout and exit 0, and
// list each flag once, with its aliases.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"build", "inspect", "export", "verify", "push", "pull", "index create", "registry serve", "registry"} {
		for _, h := range []string{"-h", "--help", "-help"} {
			code, out, errs := minimage(t, append(strings.Fields(cmd), h)...)
			if code != 0 || errs != "" || !strings.HasPrefix(out, "Usage: minimage "+strings.Fields(cmd)[0]) || !strings.Contains(out, "  -h, --help\n") {
				t.Errorf("%s %s: exit %d, stdout %.40q…, stderr %q", cmd, h, code, out, errs)
			}
		}
	}
	_, out, _ := minimage(t, "build", "--help")
	flagLine := regexp.MustCompile(`(?m)^  (-.*)$`)
	seen := map[string]int{}
	for _, m := range flagLine.FindAllStringSubmatch(out, -1) {
		for _, f := range strings.Split(strings.Fields(strings.ReplaceAll(m[1], ", ", ","))[0], ",") {
			seen[f]++
		}
	}
	for f, n := range seen {
		if n != 1 {
			t.Errorf("build --help lists %s %d times", f, n)
		}
	}
	for _, want := range []string{"  -o, --output PATH\n", "  -t, --tag REF\n", "  -q, --quiet\n", "  -h, --help\n", "  --ldflags FLAGS\n", "GOFLAGS"} {
		if !strings.Contains(out, want) {
			t.Errorf("build --help lacks %q:\n%s", want, out)
		}
	}
	if code, out, _ := minimage(t, "--help"); code != 0 || !strings.Contains(out, "minimage export") {
		t.Errorf("minimage --help: exit %d\n%s", code, out)
	}
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"biuld"}, `unknown command "biuld"; did you mean "build"?`},
		{[]string{"inpsect", "x"}, `did you mean "inspect"?`},
		{[]string{"exprot"}, `did you mean "export"?`},
		{[]string{"build", "--outptu", "x", "."}, "unknown flag --outptu; did you mean --output?"},
		{[]string{"build", "--platfrom", "linux/amd64", "."}, "did you mean --platform?"},
		{[]string{"build", "--zone", "Europe/Paris", "."}, "did you mean --zones?"},
		{[]string{"build", "-tga", "x", "."}, "did you mean --tag?"},
		{[]string{"inspect", "--jsno", "x"}, "did you mean --json?"},
		{[]string{"build", "--frobnicate", "."}, "minimage build: unknown flag --frobnicate\n" + usageHint("build")},
	} {
		code, out, errs := minimage(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.says) {
			t.Errorf("minimage %q: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errs, tc.says)
		}
		if out != "" || strings.Contains(errs, "Usage:") && strings.Contains(errs, "unknown flag") {
			t.Errorf("minimage %q: a mistyped flag should get one line, not the usage; stdout %q, stderr %q", tc.args, out, errs)
		}
	}
	if code, _, errs := minimage(t, "frobnicate"); code != 2 || strings.Contains(errs, "did you mean") || !strings.Contains(errs, "Usage:") {
		t.Errorf("an unknown command with nothing close: exit %d\n%s", code, errs)
	}
}
