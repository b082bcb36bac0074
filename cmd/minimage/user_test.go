package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/ref"
)

// TestUserNames: --user takes the names the image's /etc/passwd holds,
// minimage's base files' or a --base's, and writes numeric ids.
func TestUserNames(t *testing.T) {
	t.Parallel()
	hello := helloBinary(t)
	base := imagetest.WriteLayout(t, imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: runtime.GOARCH},
		imagetest.Layer{"/etc/passwd": "root:x:0:0::/root:/bin/sh\nalice:x:1000:1001::/home/alice:/bin/sh\n", "/etc/group": "root:x:0:\nops:x:20:alice\n"},
	), "v1")
	for _, tc := range []struct {
		args []string
		user string
	}{
		{[]string{"--user", "nobody"}, "65534:65534"},
		{[]string{"--user", "nonroot:staff"}, "65532:50"},
		{[]string{"--user", "root"}, "0:0"},
		{[]string{"--user", "123:45"}, "123:45"},
		{[]string{"--user", "alice", "--base", base}, "1000:1001"},
		{[]string{"--user", "alice:ops", "--base", base + ":v1"}, "1000:20"},
	} {
		dir := t.TempDir()
		mustBuild(t, append(tc.args, "-o", dir, hello)...)
		lay, err := ref.OpenLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		img, err := lay.Image(t.Context(), "", image.Platform{})
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Config().Config.User; got != tc.user {
			t.Errorf("build %q: user %q, want %q", tc.args, got, tc.user)
		}
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--user", "bob"}, `no user "bob" in minimage's base files (/etc/passwd), which has root, nobody, nonroot`},
		{[]string{"--user", "nobody", "--base", base}, `no user "nobody" in the linux/` + runtime.GOARCH + ` base's /etc/passwd, which has root, alice`},
		{[]string{"--user", "alice:wheel", "--base", base}, `no group "wheel"`},
	} {
		code, _, errs := minimage(t, append(append([]string{"build", "-q"}, tc.args...), "-o", t.TempDir(), hello)...)
		if code != 1 || !strings.Contains(errs, tc.says) {
			t.Errorf("build %q: exit %d, %q; want it to say %q", tc.args, code, errs, tc.says)
		}
	}
}
