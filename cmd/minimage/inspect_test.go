package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/listing"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// inspectOK runs inspect and fails the test unless it succeeds.
func inspectOK(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := minimage(t, append([]string{"inspect"}, args...)...)
	if code != 0 {
		t.Fatalf("inspect %q: exit %d\n%s", args, code, errs)
	}
	return out
}

func TestInspectListing(t *testing.T) {
	t.Parallel()
	img := imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: "amd64"},
		imagetest.Layer{
			"/etc/shadow":    "x\n",
			"/usr/bin/su":    "su",
			"/tmp/":          "",
			"/home/nonroot/": "",
			"/bin/sh":        imagetest.Symlink("/usr/bin/su"),
			"/usr/bin/sudo":  imagetest.Hardlink("/usr/bin/su"),
		}.With(imagetest.Attrs{
			"/etc/shadow":    {Mode: 0o640, GID: 42},
			"/usr/bin/su":    {Mode: fs.ModeSetuid | 0o755},
			"/tmp/":          {Mode: fs.ModeSticky | 0o777},
			"/home/nonroot/": {Mode: 0o700, UID: 65532, GID: 65532},
		}),
		imagetest.Layer{"/etc/shadow": imagetest.Whiteout, "/one": "1"},
	)
	dir := imagetest.WriteLayout(t, img, "v1")
	out := inspectOK(t, dir)
	spaces := regexp.MustCompile(` +`)
	flat := spaces.ReplaceAllString("\n"+out, " ")
	for _, want := range []string{
		"\ntag v1\n",
		"\nlinux/amd64 image " + img.Digest().String() + "\n",
		"\n -rw-r----- 0:42 2 /etc/shadow\n",
		"\n -rwsr-xr-x 0:0 2 /usr/bin/su\n",
		"\n drwxrwxrwt 0:0 0 /tmp/\n",
		"\n drwx------ 65532:65532 0 /home/nonroot/\n",
		"\n lrwxrwxrwx 0:0 0 /bin/sh -> /usr/bin/su\n",
		"\n -rwsr-xr-x 0:0 0 /usr/bin/sudo => /usr/bin/su\n",
		" /etc/.wh.shadow (deletes /etc/shadow)\n",
		"imagetest: layer 2 of 2\n",
		"\n 3 files, 1 B\n", // the top layer: /etc/, a whiteout and /one
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("inspect does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, " 1 files") {
		t.Errorf("inspect says \"1 files\":\n%s", out)
	}
}

func TestInspectQuotesControlBytes(t *testing.T) {
	t.Parallel()
	forged := "evil\n      -rw-r--r-- 0:0 0  /etc/forged"
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{forged, "bell\a", "esc\x1b[2J", "bidi\u202etxt.exe", "ok name"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg})
	}
	tw.Close()
	l, err := layer.FromTar(t.Context(), &buf, layer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(l).
		WithLabel("color", "\x1b[31mred").WithEnv("A", "line1\nline2").WithAnnotation("note", "a\rb")
	out := inspectOK(t, imagetest.WriteLayout(t, img, "v1"))
	if strings.ContainsAny(out, "\a\x1b\r\u202e") {
		t.Errorf("inspect printed control characters raw:\n%q", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "/etc/forged") && !strings.Contains(line, `"/evil\n`) {
			t.Errorf("a file name forged a line of the listing: %q", line)
		}
	}
	for _, want := range []string{
		`"/evil\n      -rw-r--r-- 0:0 0  /etc/forged"`,
		`"/bell\a"`, `"/esc\x1b[2J"`, `"/bidi\u202etxt.exe"`, "  /ok name\n",
		`label       "color=\x1b[31mred"`, `env         "A=line1\nline2"`, `annotation  "note=a\rb"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect does not show %s:\n%s", want, out)
		}
	}
}

// attestationIndex returns an index of img with what docker buildx lists
// beside it (an in-toto attestation manifest whose config is an image
// config) and an SBOM referrer made with image.NewManifest.
func attestationIndex(t *testing.T, img *image.Image) *image.Index {
	t.Helper()
	statement := []byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document"}`)
	config, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "unknown", Architecture: "unknown"},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(statement)}}})
	blobs := map[digest.Digest][]byte{digest.FromBytes(statement): statement, digest.FromBytes(config): config}
	m := ocispec.Manifest{
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(config), Size: int64(len(config))},
		Layers: []ocispec.Descriptor{{MediaType: "application/vnd.in-toto+json", Digest: digest.FromBytes(statement), Size: int64(len(statement)),
			Annotations: map[string]string{"in-toto.io/predicate-type": "https://spdx.dev/Document"}}},
	}
	m.SchemaVersion = 2
	raw, _ := json.Marshal(m)
	blobs[digest.FromBytes(raw)] = raw
	att, err := image.Load(t.Context(), mapFetcher(blobs), ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(raw), Size: int64(len(raw))})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := att.(*image.Manifest); !ok {
		t.Fatalf("the attestation loads as %T, want *image.Manifest", att)
	}
	sbom, err := image.NewManifest("application/spdx+json", []image.Blob{image.BlobFromBytes("application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))}, ptr(img.Descriptor()), nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := image.NewIndex(img)
	if err != nil {
		t.Fatal(err)
	}
	return ix.WithAnnotation("org.opencontainers.image.version", "v1").
		WithArtifact(att, map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": img.Digest().String()}).
		WithArtifact(sbom, nil)
}

func ptr[T any](v T) *T { return &v }

type mapFetcher map[digest.Digest][]byte

func (m mapFetcher) Fetch(_ context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	b, ok := m[d.Digest]
	if !ok {
		return nil, os.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// TestInspectAttestation: a buildx index with an in-toto attestation
// (issue 17 #6) and an SBOM referrer inspects and verifies, in a layout
// and a tarball.
func TestInspectAttestation(t *testing.T) {
	t.Parallel()
	img := imagetest.Image(t, imagetest.Spec{Seed: 1, Layers: 1, Files: 2})
	ix := attestationIndex(t, img)
	for _, src := range []string{imagetest.WriteLayout(t, ix, "v1"), imagetest.WriteTarball(t, ix, "app:v1")} {
		out := inspectOK(t, src)
		for _, want := range []string{
			"index " + ix.Digest().String(),
			"annotation  org.opencontainers.image.version=v1",
			"image " + img.Digest().String(),
			"attestation sha256:",
			"for " + img.Digest().String(),
			"application/vnd.in-toto+json",
			"in-toto.io/predicate-type=https://spdx.dev/Document",
			"artifact sha256:",
			"application/spdx+json",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("inspect %s does not show %q:\n%s", filepath.Base(src), want, out)
			}
		}
		code, vout, verrs := minimage(t, "verify", src)
		if code != 0 || !strings.Contains(vout, "blobs verified") {
			t.Errorf("verify %s: exit %d\n%s%s", src, code, vout, verrs)
		}
		var js []listing.Image
		if err := json.Unmarshal([]byte(inspectOK(t, "--json", src)), &js); err != nil {
			t.Fatalf("inspect --json: %v", err)
		}
		if len(js) != 1 || js[0].Index != ix.Digest().String() || len(js[0].Artifacts) != 2 ||
			js[0].IndexAnnotations["org.opencontainers.image.version"] != "v1" {
			t.Errorf("inspect --json: %+v", js)
		}
	}
}

func TestInspectJSON(t *testing.T) {
	t.Parallel()
	img := imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: "arm64"}, imagetest.Layer{"/a": "x", "/d/": "", "/l": imagetest.Symlink("a")})
	out := inspectOK(t, "--json", imagetest.WriteLayout(t, img, "v1", "latest"))
	var js []listing.Image
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, out)
	}
	if len(js) != 1 {
		t.Fatalf("%d images, want 1", len(js))
	}
	got := js[0]
	if got.Platform != "linux/arm64" || got.Digest != img.Digest().String() || strings.Join(got.Tags, ",") != "v1,latest" || got.Config == nil || len(got.Layers) != 1 {
		t.Fatalf("inspect --json: %+v", got)
	}
	l := got.Layers[0]
	if strings.Join(l.Files, ",") != "/a,/d/,/l -> a" {
		t.Errorf("files %q", l.Files)
	}
	want := []listing.File{
		{Name: "/a", Type: "file", Mode: "-rw-r--r--", Size: 1},
		{Name: "/d/", Type: "dir", Mode: "drwxr-xr-x"},
		{Name: "/l", Type: "symlink", Mode: "lrwxrwxrwx", Link: "a"},
	}
	if len(l.Entries) != len(want) {
		t.Fatalf("entries %+v, want %+v", l.Entries, want)
	}
	for i := range want {
		if l.Entries[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, l.Entries[i], want[i])
		}
	}
}

// TestInspectRaw: --raw prints the stored bytes, as the blobs hold them.
func TestInspectRaw(t *testing.T) {
	t.Parallel()
	img := imagetest.Image(t, imagetest.Spec{Seed: 2, Layers: 1, Files: 1})
	arm := imagetest.Image(t, imagetest.Spec{Seed: 2, Layers: 1, Files: 1, Platforms: []image.Platform{{OS: "linux", Architecture: "arm64"}}})
	ix, err := image.NewIndex(img, arm)
	if err != nil {
		t.Fatal(err)
	}
	dir := imagetest.WriteLayout(t, ix, "multi")
	single := imagetest.WriteTarball(t, img, "one:v1")
	blob := func(d digest.Digest) string {
		b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", d.Encoded()))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--raw", "index", dir}, blob(ix.Digest())},
		{[]string{"--raw", "manifest", "--platform", "linux/arm64", dir}, blob(arm.Digest())},
		{[]string{"--raw", "config", "--platform", "linux/amd64", dir}, blob(img.ConfigDigest())},
		{[]string{"--raw", "manifest", single}, string(img.RawManifest())},
		{[]string{"--raw", "config", single + ":one:v1"}, string(img.RawConfig())},
	} {
		if got := inspectOK(t, tc.args...); got != tc.want {
			t.Errorf("inspect %q printed %d bytes, not the %d stored", tc.args, len(got), len(tc.want))
		}
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--raw", "manifest", dir}, "linux/amd64, linux/arm64; pick one by its platform, or show the index; add :TAG or --platform"},
		{[]string{"--raw", "index", single}, "not an index"},
		{[]string{"--raw", "blob", dir}, "want manifest, config or index"},
	} {
		code, _, errs := minimage(t, append([]string{"inspect"}, tc.args...)...)
		if code == 0 || !strings.Contains(errs, tc.says) {
			t.Errorf("inspect %q: exit %d, %q; want it to say %q", tc.args, code, errs, tc.says)
		}
	}
}

// TestInspectBoundedMemory: a layout of layers full of 1 MiB names
// (issue 17 #2) lists in bounded memory, each name cut.
func TestInspectBoundedMemory(t *testing.T) {
	const names, nameLen = 96, 1<<20 - 1024
	var layers []*layer.Layer
	for i := range 4 {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for j := range names / 4 {
			name := strings.Repeat(string(rune('a'+i)), nameLen-3) + string(rune('a'+j/26)) + string(rune('a'+j%26)) + "z"
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
				t.Fatal(err)
			}
		}
		tw.Close()
		l, err := layer.FromTar(t.Context(), &buf, layer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(layers...)
	dir := imagetest.WriteLayout(t, img, "v1")
	var st int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, _ error) error { st += fi.Size(); return nil })
	t.Logf("layout: %d KiB on disk, %d MiB of names", st>>10, names*nameLen>>20)
	var out countingWriter
	var code int
	peak := testenv.PeakHeap(func() {
		code = run(t.Context(), []string{"inspect", dir}, nil, &out, io.Discard)
	})
	t.Logf("inspect: %d lines, %d KiB out, peak heap %d MiB", out.lines, out.n>>10, peak>>20)
	if code != 0 {
		t.Fatalf("inspect: exit %d", code)
	}
	if peak > 40<<20 {
		t.Errorf("inspect's heap peaked at %d MiB for %d MiB of names; it should stream", peak>>20, names*nameLen>>20)
	}
	if !out.cut {
		t.Error("no name was cut")
	}
	if out.long > listing.MaxName+200 {
		t.Errorf("a line of %d bytes: names should be cut at %d", out.long, listing.MaxName)
	}
}

// countingWriter counts lines and bytes and keeps none of them.
type countingWriter struct {
	n, lines, long, cur int
	cut                 bool
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	if bytes.Contains(p, []byte("…[cut: ")) {
		c.cut = true
	}
	for _, b := range p {
		c.cur++
		if b == '\n' {
			c.lines++
			c.long = max(c.long, c.cur)
			c.cur = 0
		}
	}
	return len(p), nil
}

// TestInspectUntagged: an untagged entry of a layout is shown too.
func TestInspectUntagged(t *testing.T) {
	t.Parallel()
	a := imagetest.Image(t, imagetest.Spec{Seed: 3, Layers: 1, Files: 1})
	b := imagetest.Image(t, imagetest.Spec{Seed: 4, Layers: 1, Files: 1})
	dir := imagetest.WriteLayout(t, a, "v1", "latest")
	if err := layout.Write(t.Context(), dir, b, layout.Options{}); err != nil {
		t.Fatal(err)
	}
	out := inspectOK(t, dir)
	if !strings.Contains(out, "tags v1, latest\n") || !strings.Contains(out, "untagged\n") || !strings.Contains(out, b.Digest().String()) {
		t.Errorf("inspect:\n%s", out)
	}
}

// TestInspectRegistry: SRC may be a registry reference; inspect and
// export read it as they read a layout, layers only as they list them.
func TestInspectRegistry(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	img := whiteoutImage(t)
	ix := attestationIndex(t, img)
	reg.Preload(t, "team/app", ix, "v1")
	ref := reg.Host() + "/team/app:v1"
	out := inspectOK(t, "--insecure-allow-http", ref)
	for _, want := range []string{"tag " + ref, "index " + ix.Digest().String(), "attestation sha256:", "/usr/bin/tool-alias"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect %s does not show %q:\n%s", ref, want, out)
		}
	}
	if got := inspectOK(t, "--insecure-allow-http", "--raw", "index", ref); got != string(ix.RawManifest()) {
		t.Errorf("inspect --raw index of %s: %d bytes, not the %d pushed", ref, len(got), len(ix.RawManifest()))
	}
	code, tarOut, errs := minimage(t, "export", "--insecure-allow-http", ref, "-o", "-")
	if code != 0 {
		t.Fatalf("export %s: exit %d\n%s", ref, code, errs)
	}
	imagetest.EqualFiles(t, exportedImage(t, []byte(tarOut), img.Platform()), img)
}
