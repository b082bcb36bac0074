package gobinary_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestCheck(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "script.sh")
	os.WriteFile(notELF, []byte("#!/bin/sh\necho hi\n"), 0o755)
	armv6 := image.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}
	armv7 := image.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	for _, tc := range []struct {
		bin     string
		p       image.Platform
		opts    gobinary.Options
		wantErr error
		wantMsg []string
	}{
		{bin: "amd64", p: amd64},
		{bin: "arm64", p: arm64},
		{bin: "armv7", p: armv7},
		{bin: "arm64", p: amd64, wantErr: gobinary.ErrWrongArch, wantMsg: []string{"built for arm64 (EM_AARCH64) but the image is linux/amd64", "GOARCH=amd64"}},
		{bin: "amd64", p: arm64, wantErr: gobinary.ErrWrongArch, wantMsg: []string{"built for amd64 (EM_X86_64) but the image is linux/arm64", "GOARCH=arm64"}},
		{bin: "armv7", p: armv6, wantErr: gobinary.ErrWrongArch, wantMsg: []string{"arm/v7 (GOARM=7)", "GOARM=6"}},
		{bin: "amd64v3", p: amd64, wantErr: gobinary.ErrWrongArch, wantMsg: []string{"amd64/v3 (GOAMD64=v3) but the image is linux/amd64", "GOAMD64=v1", "linux/amd64/v3"}},
		{bin: "amd64v3", p: image.Platform{OS: "linux", Architecture: "amd64", Variant: "v2"}, wantErr: gobinary.ErrWrongArch, wantMsg: []string{"GOAMD64=v2"}},
		{bin: "amd64v3", p: image.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}},
		{bin: "amd64v3", p: image.Platform{OS: "linux", Architecture: "amd64", Variant: "v4"}},
		{bin: "amd64", p: image.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}},
		{bin: "cgo", p: amd64, wantErr: gobinary.ErrDynamic, wantMsg: []string{"interpreter /", "CGO_ENABLED=0", "AllowDynamic"}},
		{bin: "cgo", p: amd64, opts: gobinary.Options{AllowDynamic: true}},
		{bin: "script", p: amd64, wantErr: gobinary.ErrNotELF, wantMsg: []string{"GOOS=linux"}},
		{bin: "shared", p: amd64, wantErr: gobinary.ErrNotELF, wantMsg: []string{"shared library, not a program", "libc.so"}},
		{bin: "shared", p: amd64, opts: gobinary.Options{AllowDynamic: true}, wantErr: gobinary.ErrNotELF, wantMsg: []string{"shared library"}},
		{bin: "script", p: image.Platform{OS: "windows", Architecture: "amd64"}},
	} {
		name := tc.bin + "→" + tc.p.String()
		path := bin(tc.bin)
		if tc.bin == "script" {
			path = notELF
		}
		if path == "" {
			t.Logf("%s: skipped, no %s binary (gcc missing?)", name, tc.bin)
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		bi, err := gobinary.Check(f, path, tc.p, tc.opts)
		f.Close()
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%s: err %v, want %v", name, err, tc.wantErr)
			continue
		}
		for _, m := range tc.wantMsg {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q lacks %q", name, err, m)
			}
		}
		if err != nil && !strings.HasPrefix(err.Error(), "gobinary: ") {
			t.Errorf("%s: error %q lacks the prefix", name, err)
		}
		if tc.bin != "script" && tc.bin != "shared" && !strings.HasPrefix(bi.GoVersion, "go") {
			t.Errorf("%s: GoVersion %q", name, bi.GoVersion)
		}
	}
}

// TestInspect: a binary's platform comes from its ELF header and Go's
// build settings, and it is checked as Check checks it for that platform.
func TestInspect(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(notELF, []byte("a: 1\n"), 0o644)
	for _, tc := range []struct {
		bin     string
		opts    gobinary.Options
		want    string
		wantErr error
	}{
		{bin: "amd64", want: "linux/amd64"},
		{bin: "amd64v3", want: "linux/amd64/v3"},
		{bin: "arm64", want: "linux/arm64"},
		{bin: "armv7", want: "linux/arm/v7"},
		{bin: "cgo", wantErr: gobinary.ErrDynamic},
		{bin: "cgo", opts: gobinary.Options{AllowDynamic: true}, want: "linux/amd64"},
		{bin: "shared", wantErr: gobinary.ErrNotELF},
		{bin: "text", wantErr: gobinary.ErrNotELF},
	} {
		path := bin(tc.bin)
		if tc.bin == "text" {
			path = notELF
		}
		if path == "" {
			t.Logf("%s: skipped, no binary (gcc missing?)", tc.bin)
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		bi, err := gobinary.Inspect(f, path, tc.opts)
		f.Close()
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%s: err %v, want %v", tc.bin, err, tc.wantErr)
			continue
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "gobinary: ") || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: error %q lacks the prefix or the file", tc.bin, err)
			}
			continue
		}
		if got := bi.Platform().String(); got != tc.want {
			t.Errorf("%s: platform %s, want %s", tc.bin, got, tc.want)
		}
		// The platform found is one Check accepts.
		if _, err := gobinary.Check(bytes.NewReader(mustRead(t, path)), path, bi.Platform(), tc.opts); err != nil {
			t.Errorf("%s: Check for its own platform %s: %v", tc.bin, bi.Platform(), err)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckNotELF: a file that is no Linux program gets an error
// that says what it is, not the ELF reader's "bad magic number".
func TestCheckNotELF(t *testing.T) {
	for _, tc := range []struct {
		name, data, says string
	}{
		{"go.mod", "module github.com/x/y\n\ngo 1.22\n", `it is a text file ("module github.com/x/y"), not a compiled program`},
		{"run.sh", "#!/bin/sh\necho hi\n", `it is a script ("#!/bin/sh"), not a compiled program`},
		{"app.exe", "MZ\x90\x00\x03\x00\x00\x00", "Windows executable (PE), not a Linux one"},
		{"app-darwin", "\xcf\xfa\xed\xfe\x07\x00\x00\x01", "macOS executable (Mach-O), not a Linux one"},
		{"empty", "", "the file is empty"},
		{"short.elf", "\x7fELF\x02\x01", "damaged or truncated ELF file"},
		{"data", "\x00\x01\x02\x03\x04", "it does not start with ELF's magic bytes 7f 45 4c 46 but with 00 01 02 03"},
	} {
		_, err := gobinary.Check(strings.NewReader(tc.data), tc.name, amd64, gobinary.Options{})
		if !errors.Is(err, gobinary.ErrNotELF) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "GOOS=linux GOARCH=amd64") || strings.Contains(err.Error(), "magic number") {
			t.Errorf("%s: %v; want it to say %q", tc.name, err, tc.says)
		}
	}
}

func TestInfoSource(t *testing.T) {
	for mod, want := range map[string]string{
		"github.com/x/y":          "https://github.com/x/y",
		"github.com/x/y/v2/cmd/z": "https://github.com/x/y",
		"gitlab.com/g/p":          "https://gitlab.com/g/p",
		"github.com/x":            "",
		"example.com/x/y":         "",
		"command-line-arguments":  "",
	} {
		if got := (gobinary.Info{Module: mod}).Source(); got != want {
			t.Errorf("Source(%q) = %q, want %q", mod, got, want)
		}
	}
	bi := gobinary.Info{Settings: map[string]string{"vcs.revision": "abc"}}
	if bi.Revision() != "abc" {
		t.Error(bi.Revision())
	}
}

func TestAdd(t *testing.T) {
	ctx := context.Background()
	opts := gobinary.Options{Layer: layer.Options{Format: layer.Format{Compression: layer.Uncompressed}}}
	img, err := gobinary.Add(ctx, image.New(amd64), "usr/bin/hello", bin("amd64"), opts)
	if err != nil {
		t.Fatal(err)
	}
	c := img.Config()
	if len(c.Config.Entrypoint) != 1 || c.Config.Entrypoint[0] != "/usr/bin/hello" {
		t.Errorf("entrypoint %v", c.Config.Entrypoint)
	}
	if !strings.HasPrefix(c.Config.Labels[gobinary.LabelGoVersion], "go1.") {
		t.Errorf("labels %v", c.Config.Labels)
	}
	if got := img.Annotations()[ocispec.AnnotationSource]; got != "https://github.com/example/hello" {
		t.Errorf("source annotation %q", got)
	}
	if got := c.Config.Labels[ocispec.AnnotationSource]; got != "https://github.com/example/hello" {
		t.Errorf("source label %q", got)
	}
	if c.History[0].CreatedBy != "minimage: binary /usr/bin/hello" {
		t.Errorf("history %v", c.History)
	}
	// The layer holds the file, 0755, root-owned.
	rc, err := img.Layers()[0].Uncompressed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	want, _ := os.ReadFile(bin("amd64"))
	found := false
	for _, e := range testenv.ReadTar(t, rc) {
		if h := e.Header; h.Name == "usr/bin/hello" {
			found = true
			if h.Mode != 0o755 || h.Uid != 0 || h.Gid != 0 || !bytes.Equal(e.Body, want) {
				t.Errorf("header %+v, %d bytes", h, len(e.Body))
			}
		}
	}
	if !found {
		t.Error("binary not in layer")
	}

	// Defaults never override what the caller set.
	pre := image.New(amd64).WithEntrypoint("/bin/other").WithAnnotation(ocispec.AnnotationSource, "https://mine").WithLabel(gobinary.LabelGoVersion, "mine")
	img2, err := gobinary.Add(ctx, pre, "/hello", bin("amd64"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(pre.Layers()) != 0 || pre.Config().Config.Entrypoint[0] != "/bin/other" {
		t.Errorf("Add changed the image it was given: %d layers, %v", len(pre.Layers()), pre.Config().Config)
	}
	if img2.Config().Config.Entrypoint[0] != "/bin/other" || img2.Annotations()[ocispec.AnnotationSource] != "https://mine" || img2.Config().Config.Labels[gobinary.LabelGoVersion] != "mine" {
		t.Errorf("overrode: %v %v", img2.Config().Config, img2.Annotations())
	}

	// Files go into the binary's layer, 0644, root-owned; one at the
	// binary's path is an error.
	withFiles := opts
	withFiles.Files = map[string][]byte{"/usr/share/sbom/hello.spdx.json": []byte("{}\n"), "etc/note": []byte("n")}
	img3, err := gobinary.Add(ctx, image.New(amd64), "/hello", bin("amd64"), withFiles)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(img3.Layers()); n != 1 {
		t.Fatalf("%d layers, want the binary's alone", n)
	}
	rc3, err := img3.Layers()[0].Uncompressed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc3.Close()
	got := map[string]string{}
	for _, e := range testenv.ReadTar(t, rc3) {
		if h := e.Header; h.Typeflag == tar.TypeReg && h.Name != "hello" {
			got[h.Name] = string(e.Body)
			if h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 {
				t.Errorf("file %s: mode %o, owner %d:%d; want 0644, 0:0", h.Name, h.Mode, h.Uid, h.Gid)
			}
		}
	}
	if len(got) != 2 || got["usr/share/sbom/hello.spdx.json"] != "{}\n" || got["etc/note"] != "n" {
		t.Errorf("files in the binary's layer: %q", got)
	}
	withFiles.Files = map[string][]byte{"/hello": []byte("x")}
	if _, err := gobinary.Add(ctx, image.New(amd64), "/hello", bin("amd64"), withFiles); !errors.Is(err, layer.ErrDuplicate) {
		t.Errorf("a file at the binary's path: %v, want layer.ErrDuplicate", err)
	}

	// Errors go through errors.Is and leave nothing changed.
	if _, err := gobinary.Add(ctx, image.New(arm64), "/hello", bin("amd64"), opts); !errors.Is(err, gobinary.ErrWrongArch) {
		t.Errorf("arm64 image: %v", err)
	}
	if _, err := gobinary.Add(ctx, image.New(amd64), "/hello", filepath.Join(t.TempDir(), "missing"), opts); err == nil || !strings.HasPrefix(err.Error(), "gobinary: ") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := gobinary.Add(ctx, image.New(amd64), "/", bin("amd64"), opts); err == nil {
		t.Error("root destination accepted")
	}
}

// TestAddLayer adds the layer that Add built, with AddLayer, to the
// image Add was given: the image is the one Add returned, defaults and
// history included; a binary that Check refuses is refused.
func TestAddLayer(t *testing.T) {
	ctx := context.Background()
	base := image.New(amd64).WithLabel("keep", "me")
	opts := gobinary.Options{History: image.History{Comment: "c"}}
	want, err := gobinary.Add(ctx, base, "usr/bin/hello", bin("amd64"), opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bin("amd64"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := want.Layers()[len(want.Layers())-1]
	got, err := gobinary.AddLayer(base, "usr/bin/hello", f, bin("amd64"), l, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != want.Digest() {
		t.Errorf("AddLayer gave %s:\n%s\nAdd gave %s:\n%s", got.Digest(), got.RawConfig(), want.Digest(), want.RawConfig())
	}
	if len(base.Layers()) != 0 {
		t.Error("AddLayer changed the image it was given")
	}
	if _, err := gobinary.AddLayer(image.New(arm64), "/hello", f, bin("amd64"), l, opts); !errors.Is(err, gobinary.ErrWrongArch) {
		t.Errorf("an amd64 binary added to an arm64 image: %v, want ErrWrongArch", err)
	}
}
