package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestWriteVersion(t *testing.T) {
	t.Parallel()
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/minimage/minimage", Version: "v0.0.0-20261206183100-0123456789ab+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "-buildmode", Value: "exe"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-06T18:31:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	var b strings.Builder
	writeVersion(&b, bi)
	want := "minimage v0.0.0-20261206183100-0123456789ab+dirty go1.26.8\n" +
		"\tvcs=git\n\tvcs.revision=0123456789abcdef0123456789abcdef01234567\n" +
		"\tvcs.time=2026-12-06T18:31:00Z\n\tvcs.modified=true\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	writeVersion(&b, &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}})
	if got := b.String(); got != "minimage (devel) go1.26.8\n" {
		t.Errorf("a checkout without VCS information: got %q", got)
	}
}

// TestVersionCommand runs the command in this test binary, whose build
// information names the main module.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"version"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	bi, _ := debug.ReadBuildInfo()
	if !strings.HasPrefix(out.String(), "minimage ") || !strings.Contains(out.String(), bi.GoVersion) {
		t.Errorf("version printed %q, want the module version and %s", out.String(), bi.GoVersion)
	}
}
