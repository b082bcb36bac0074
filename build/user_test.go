package build

import (
	"github.com/minimage/minimage/image"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
)

func TestParseUser(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"", "65532:65532", ""},
		{"nonroot", "65532:65532", ""},
		{"root", "0:0", ""},
		{"1000", "1000", ""},
		{"1000:50", "1000:50", ""},
		{"nobody", "", ""}, // looked up later
		{"app:staff", "", ""},
		{"1000:staff", "", ""},
		{"1000:", "", "want USER[:GROUP]"},
		{"a b", "", "want USER[:GROUP]"},
		{"99999999999", "", "want USER[:GROUP]"},
		{"-1", "", ""}, // a name, as odd as it is
	} {
		got, err := parseUser(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parseUser(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestResolveUserBaseFiles(t *testing.T) {
	t.Parallel()
	acc, err := baseAccounts()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want, err string }{
		{"nobody", "65534:65534", ""},
		{"nonroot:tty", "65532:5", ""},
		{"root:staff", "0:50", ""},
		{"1000:nonroot", "1000:65532", ""},
		{"bob", "", `no user "bob" in minimage's base files (/etc/passwd), which has root, nobody, nonroot`},
		{"nobody:wheel", "", `no group "wheel" in minimage's base files (/etc/group), which has root, nobody, tty, staff, nonroot`},
	} {
		got, err := acc.resolve(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("resolve(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestImageAccounts: a base's /etc/passwd is read as its filesystem has
// it, the topmost layer's copy winning and whiteouts applied.
func TestImageAccounts(t *testing.T) {
	t.Parallel()
	passwd := "root:x:0:0:root:/root:/bin/sh\n# comment\nbroken line\nalice:x:1000:1000::/home/alice:/bin/sh\n"
	img := imagetest.FromLayers(t, image.Platform{},
		imagetest.Layer{"/etc/passwd": "root:x:0:0::/:/bin/sh\nold:x:1:1::/:/bin/sh\n", "/etc/group": "root:x:0:\n"},
		imagetest.Layer{"/etc/passwd": passwd, "/etc/group": "root:x:0:\nusers:x:100:alice\n"},
		imagetest.Layer{"/usr/bin/app": "app"},
	)
	acc, err := imageAccounts(t.Context(), img, true)
	if err != nil {
		t.Fatal(err)
	}
	acc.from = "the base's /etc/passwd"
	for _, tc := range []struct{ in, want, err string }{
		{"alice", "1000:1000", ""},
		{"alice:users", "1000:100", ""},
		{"old", "", "which has root, alice"},
	} {
		got, err := acc.resolve(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("resolve(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}

	deleted := imagetest.FromLayers(t, image.Platform{},
		imagetest.Layer{"/etc/passwd": passwd},
		imagetest.Layer{"/etc/passwd": imagetest.Whiteout},
	)
	acc, err = imageAccounts(t.Context(), deleted, false)
	if err != nil || len(acc.users) != 0 {
		t.Errorf("a whited-out /etc/passwd read as %v, %v", acc.users, err)
	}
	replaced := imagetest.FromLayers(t, image.Platform{},
		imagetest.Layer{"/etc/passwd": passwd},
		imagetest.Layer{"/etc/": imagetest.Opaque, "/etc/passwd": "bob:x:7:8::/:/bin/sh\n"},
	)
	if acc, err = imageAccounts(t.Context(), replaced, false); err != nil || names(acc.users) != "bob" {
		t.Errorf("a replaced /etc/passwd read as %v, %v", acc.users, err)
	}
	link := imagetest.FromLayers(t, image.Platform{}, imagetest.Layer{"/etc/passwd": imagetest.Symlink("/usr/etc/passwd")})
	if _, err := imageAccounts(t.Context(), link, false); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a symlinked /etc/passwd: %v", err)
	}
}
