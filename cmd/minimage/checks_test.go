package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/ref"
)

// TestChecksBeforeWork gives the command line values it must refuse,
// with a TARGET that does not compile: a check that ran after go build
// would report the compile error instead of its own. Nothing may appear
// where the outputs would go.
func TestChecksBeforeWork(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken")
	os.MkdirAll(broken, 0o755)
	os.WriteFile(filepath.Join(broken, "go.mod"), []byte("module broken\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n\nfunc main() { does not compile }\n"), 0o644)
	out := filepath.Join(dir, "out")
	conf := filepath.Join(broken, "go.mod")
	cases := []struct {
		name string
		args []string
		env  string // SOURCE_DATE_EPOCH
		says string
	}{
		{"x86_64", []string{"--platform", "x86_64"}, "", `--platform: platform "x86_64": give OS/ARCH in Go's spelling: did you mean linux/amd64?`},
		{"linux/x86_64", []string{"--platform", "linux/x86_64"}, "", "did you mean linux/amd64?"},
		{"aarch64", []string{"--platform", "linux/amd64,linux/aarch64"}, "", "did you mean linux/arm64?"},
		{"amd64 v9", []string{"--platform", "linux/amd64/v9"}, "", `unknown amd64 variant "v9"; give v1, v2, v3 or v4`},
		{"port 99999", []string{"--port", "99999"}, "", `--port: port "99999": 99999 is out of range; ports are 1 to 65535`},
		{"port http", []string{"--port", "http"}, "", `--port: port "http": "http" is not a port number`},
		{"port abc", []string{"--port", "8080", "--port", "abc"}, "", `"abc" is not a port number`},
		{"port proto", []string{"--port", "99999/xyz"}, "", `unknown protocol "xyz"`},
		{"created 10000", []string{"--created", "253402300800"}, "", `--created: time "253402300800": outside the years 0 to 9999, which an image config can hold`},
		{"created huge", []string{"--created", "9223372036854775807"}, "", "outside the years 0 to 9999"},
		{"created -huge", []string{"--created", "-9223372036854775808"}, "", "outside the years 0 to 9999"},
		{"created 10000 RFC 3339", []string{"--created", "10000-01-01T00:00:00Z"}, "", "want RFC 3339"},
		{"epoch 10000", nil, "253402300800", `SOURCE_DATE_EPOCH="253402300800" is outside the years 0 to 9999`},
		{"epoch huge", nil, "9223372036854775807", "outside the years 0 to 9999"},
		{"tgz", []string{"-o", filepath.Join(dir, "x.tgz")}, "", "x.tgz: minimage writes an uncompressed tarball (name it " + filepath.Join(dir, "x") + ".tar"},
		{"tar.gz", []string{"-o", filepath.Join(dir, "x.tar.gz")}, "", "uncompressed tarball"},
		{"zip", []string{"-o", filepath.Join(dir, "x.zip")}, "", "a name without .zip"},
		{"parent a file", []string{"-o", filepath.Join(conf, "x.tar")}, "", "output " + filepath.Join(conf, "x.tar") + ": create its directory: mkdir " + conf + ": not a directory"},
		{"parent a file, layout", []string{"-o", filepath.Join(conf, "sub", "layout")}, "", "create its directory"},
		{"stdout twice", []string{"-o", "-", "-o", "-"}, "", "-o - is given twice"},
		{"output twice", []string{"-o", out, "-o", out + "/"}, "", "is given twice"},
		{"file twice", []string{"--file", conf + ":/etc/x", "--file", conf + ":etc/x"}, "", "file /etc/x is given twice (from " + conf + " and " + conf + "); give each path once"},
		{"file missing", []string{"--file", filepath.Join(dir, "nope") + ":/etc/x"}, "", "file " + filepath.Join(dir, "nope") + ": stat"},
		{"zone", []string{"--zones", "Europe/Pariss"}, "", "Europe/Paris"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("SOURCE_DATE_EPOCH", c.env)
			}
			args := append([]string{"build", "-q"}, c.args...)
			if !strings.Contains(strings.Join(c.args, " "), "-o ") {
				args = append(args, "-o", out)
			}
			code, stdout, errs := minimage(t, append(args, broken)...)
			if code == 0 {
				t.Fatalf("exit 0; stdout:\n%s", stdout)
			}
			last := strings.TrimSpace(strings.TrimSuffix(errs, usageHint("build")))
			if i := strings.LastIndexByte(last, '\n'); i >= 0 {
				last = last[i+1:]
			}
			if !strings.HasPrefix(last, "minimage build: ") || !strings.Contains(last, c.says) {
				t.Errorf("stderr ends %q; want \"minimage build: \" and %q", last, c.says)
			}
			if strings.Contains(errs, "syntax error") || strings.Contains(errs, "does not compile") {
				t.Errorf("go build ran before the check:\n%s", errs)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("the directory holds %v; want only the package", names)
			}
		})
	}
}

// TestCreatedBefore1970 builds with --created -1 and with the same time
// in RFC 3339: both are accepted, and give the same image.
func TestCreatedBefore1970(t *testing.T) {
	t.Parallel()
	bin := helloBinary(t)
	var digests []string
	for _, c := range []struct{ created, want string }{
		{"-1", "1969-12-31T23:59:59Z"},
		{"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
		{"1960-01-01T00:00:00+01:00", "1959-12-31T23:00:00Z"},
	} {
		created := c.created
		out := filepath.Join(t.TempDir(), "x.tar")
		mustBuild(t, "--bare", "--created", created, "-o", out, bin)
		lay, err := ref.OpenLocal(out)
		if err != nil {
			t.Fatal(err)
		}
		img, err := lay.Image(t.Context(), "", image.Platform{})
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Config().Created.Format(time.RFC3339); got != c.want {
			t.Errorf("--created %s: the config says %s", created, got)
		}
		digests = append(digests, img.Digest().String())
	}
	if digests[0] != digests[1] || digests[1] == digests[2] {
		t.Errorf("digests %v: want -1 and 1969-12-31T23:59:59Z alike, 1960 different", digests)
	}
}

// TestSeveralOutputs writes one build to a layout and a tarball, as ko's
// --oci-layout-path with --tarball does: both hold the same image.
func TestSeveralOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	layout, tarball := filepath.Join(dir, "layout"), filepath.Join(dir, "app.tar")
	out := mustBuild(t, "-t", "app:v1", "-o", layout, "--output", tarball, helloBinary(t))
	for _, want := range []string{"wrote " + layout + " (OCI layout)", "wrote " + tarball + " (tarball)", "tagged app:v1"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	first, _, _ := strings.Cut(out, "\n")
	for _, p := range []string{layout, tarball} {
		lay, err := ref.OpenLocal(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := lay.Image(t.Context(), "app:v1", image.Platform{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if want := "image " + img.Digest().String(); first != want {
			t.Errorf("%s holds %s; the build printed %q", p, img.Digest(), first)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d entries in the output directory, want the two outputs", len(ents))
	}
}
