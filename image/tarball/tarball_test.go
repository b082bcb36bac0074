package tarball_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func tarBytes(t testing.TB, v image.Artifact, tags ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tarball.Write(context.Background(), &buf, v, tarball.Options{Tags: tags}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// untar returns a tarball's entries by name, in order.
func untar(t testing.TB, data []byte) (names []string, files map[string][]byte) {
	t.Helper()
	files = map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.ModTime.Unix() != 0 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || len(h.PAXRecords) > 0 {
			t.Errorf("%s: header %+v", h.Name, h)
		}
		if (h.Typeflag == tar.TypeDir) != (h.Mode == 0o755) || (h.Typeflag == tar.TypeReg) != (h.Mode == 0o644) {
			t.Errorf("%s: mode %o", h.Name, h.Mode)
		}
		names = append(names, h.Name)
		files[h.Name], _ = io.ReadAll(tr)
	}
}

func TestTarball(t *testing.T) {
	img := imagetest.Fixture(t, amd64)
	// A tag alone, a full name, a name without a tag.
	data := tarBytes(t, img, "v0", "example.com/team/app:v1", "team/app")
	if again := tarBytes(t, img, "v0", "example.com/team/app:v1", "team/app"); !bytes.Equal(data, again) {
		t.Fatal("two writes differ")
	}
	names, files := untar(t, data)
	checkOrder(t, names, []tarball.Named{{Artifact: img}})
	if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout %s", files["oci-layout"])
	}
	var dm []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &dm); err != nil || len(dm) != 1 {
		t.Fatalf("manifest.json %s: %v", files["manifest.json"], err)
	}
	if dm[0].Config != "blobs/sha256/"+img.ConfigDigest().Encoded() || !slices.Equal(dm[0].RepoTags, []string{"example.com/team/app:v1", "team/app:latest"}) || len(dm[0].Layers) != 2 {
		t.Errorf("manifest.json %+v", dm[0])
	}
	for _, p := range append(dm[0].Layers, dm[0].Config) {
		if _, ok := files[p]; !ok {
			t.Errorf("%s missing", p)
		}
	}
	var idx ocispec.Index
	json.Unmarshal(files["index.json"], &idx)
	want := []map[string]string{
		{ocispec.AnnotationRefName: "v0"},
		{ocispec.AnnotationRefName: "v1", image.AnnotationContainerdName: "example.com/team/app:v1"},
		{ocispec.AnnotationRefName: "latest", image.AnnotationContainerdName: "docker.io/team/app:latest"},
	}
	if len(idx.Manifests) != len(want) || idx.Manifests[0].Digest != img.Digest() ||
		!maps.Equal(idx.Manifests[0].Annotations, want[0]) ||
		!maps.Equal(idx.Manifests[1].Annotations, want[1]) ||
		!maps.Equal(idx.Manifests[2].Annotations, want[2]) {
		t.Errorf("index.json %s", files["index.json"])
	}
	if !bytes.Equal(files["blobs/sha256/"+img.Digest().Encoded()], img.RawManifest()) {
		t.Error("manifest blob")
	}

	for _, bad := range []string{"App:v1", "app:", "a b", "app@sha256:00", ":v1"} {
		err := tarball.Write(context.Background(), io.Discard, img, tarball.Options{Tags: []string{bad}})
		if !errors.Is(err, image.ErrInvalidTag) {
			t.Errorf("tag %q: %v", bad, err)
		}
	}
}

func TestTarballIndex(t *testing.T) {
	ix := imagetest.FixtureIndex(t)
	_, files := untar(t, tarBytes(t, ix, "app:v1"))
	var dm []struct{ Config string }
	json.Unmarshal(files["manifest.json"], &dm)
	if dm[0].Config != "blobs/sha256/"+ix.Image(amd64).ConfigDigest().Encoded() {
		t.Errorf("manifest.json lists %s, want the amd64 config", dm[0].Config)
	}
	n := 0
	for name := range files {
		if strings.HasPrefix(name, "blobs/sha256/") && name != "blobs/sha256/" {
			n++
		}
	}
	if n != 8 {
		t.Errorf("%d blobs, want 8 (shared layer once)", n)
	}
	// Without amd64, the first image.
	arm7 := image.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	ix2, _ := image.NewIndex(imagetest.Fixture(t, arm64), imagetest.Fixture(t, arm7))
	_, files = untar(t, tarBytes(t, ix2, "app:v1"))
	json.Unmarshal(files["manifest.json"], &dm)
	if dm[0].Config != "blobs/sha256/"+ix2.Image(arm64).ConfigDigest().Encoded() {
		t.Errorf("manifest.json lists %s, want the arm64 config", dm[0].Config)
	}
}

func TestTarballFailures(t *testing.T) {
	img := imagetest.Fixture(t, amd64).Append(failingLayer(t))
	err := tarball.Write(context.Background(), io.Discard, img, tarball.Options{})
	if err == nil || !errors.Is(err, imagetest.ErrFailing) {
		t.Errorf("failing layer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tarball.Write(ctx, io.Discard, imagetest.Fixture(t, amd64), tarball.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func writeTemp(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readTarballImage(t *testing.T, data []byte, tag string, p image.Platform) (*image.Image, error) {
	t.Helper()
	l, err := tarball.Read(writeTemp(t, data))
	if err != nil {
		return nil, err
	}
	return l.Image(context.Background(), tag, p)
}

func TestReadTarball(t *testing.T) {
	img := imagetest.Fixture(t, amd64)
	ix := imagetest.FixtureIndex(t)
	for _, tc := range []struct {
		name string
		data []byte
		tag  string
		p    image.Platform
		want *image.Image
	}{
		{"image by tag", tarBytes(t, img, "app:v1"), "v1", amd64, img},
		{"image by full name", tarBytes(t, img, "app:v1"), "docker.io/library/app:v1", amd64, img},
		{"untagged", tarBytes(t, img), "", image.Platform{}, img},
		{"index arm64", tarBytes(t, ix, "app:v1"), "v1", arm64, ix.Image(arm64)},
		{"index amd64", tarBytes(t, ix, "app:v1"), "v1", amd64, ix.Image(amd64)},
	} {
		got, err := readTarballImage(t, tc.data, tc.tag, tc.p)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.Digest() != tc.want.Digest() {
			t.Errorf("%s: digest %s, want %s", tc.name, got.Digest(), tc.want.Digest())
		}
		checkLayers(t, got)
	}
}

func checkLayers(t *testing.T, img *image.Image) {
	t.Helper()
	for _, ly := range img.Layers() {
		rc, err := ly.Uncompressed(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Errorf("layer %s: %v", ly.Digest(), err)
		}
		rc.Close()
	}
}

// rewriteTar copies a tarball, dropping the entries drop says to and
// renaming and changing others with edit.
func rewriteTar(t testing.TB, data []byte, edit func(name string, body []byte) (string, []byte)) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		body, _ := io.ReadAll(tr)
		name, body := edit(h.Name, body)
		if name == "" {
			continue
		}
		h.Name, h.Size = name, int64(len(body))
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	return out.Bytes()
}

func TestReadDockerArchive(t *testing.T) {
	img := imagetest.Fixture(t, amd64)
	data := tarBytes(t, img, "app:v1")
	// A docker archive as skopeo's docker-archive: writes it: no index.json.
	dockerOnly := rewriteTar(t, data, func(name string, body []byte) (string, []byte) {
		if name == "index.json" || name == "oci-layout" {
			return "", nil
		}
		return name, body
	})
	// The legacy layout of docker save before version 25:
	// <hex>.json, <id>/layer.tar.
	cfgName := img.ConfigDigest().Encoded() + ".json"
	legacy := rewriteTar(t, dockerOnly, func(name string, body []byte) (string, []byte) {
		switch {
		case name == "manifest.json":
			s := strings.ReplaceAll(string(body), "blobs/sha256/"+img.ConfigDigest().Encoded(), cfgName)
			for i, l := range img.Layers() {
				s = strings.ReplaceAll(s, "blobs/sha256/"+l.Digest().Encoded(), string(rune('a'+i))+"/layer.tar")
			}
			return name, []byte(s)
		case name == "blobs/sha256/"+img.ConfigDigest().Encoded():
			return cfgName, body
		}
		for i, l := range img.Layers() {
			if name == "blobs/sha256/"+l.Digest().Encoded() {
				return string(rune('a'+i)) + "/layer.tar", body
			}
		}
		return name, body
	})
	for _, tc := range []struct {
		name string
		data []byte
		tag  string
	}{
		{"docker-archive", dockerOnly, "app:v1"},
		{"legacy", legacy, "app:v1"},
		{"legacy untagged", legacy, ""},
		{"legacy docker.io name", legacy, "docker.io/library/app:v1"},
	} {
		got, err := readTarballImage(t, tc.data, tc.tag, amd64)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.ConfigDigest() != img.ConfigDigest() || got.Digest() != img.WithAnnotation("org.opencontainers.image.title", "").Digest() {
			t.Errorf("%s: digests %s %s", tc.name, got.ConfigDigest(), got.Digest())
		}
		checkLayers(t, got)
	}
	if _, err := readTarballImage(t, dockerOnly, "other:v1", amd64); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("missing tag: %v", err)
	}
}

func TestReadTarballCorrupt(t *testing.T) {
	img := imagetest.Fixture(t, amd64)
	data := tarBytes(t, img, "app:v1")
	flip := func(target string) []byte {
		return rewriteTar(t, data, func(name string, body []byte) (string, []byte) {
			if name == target {
				body = bytes.Clone(body)
				body[len(body)/2] ^= 1
			}
			return name, body
		})
	}
	if _, err := readTarballImage(t, flip("blobs/sha256/"+img.Digest().Encoded()), "v1", amd64); !errors.Is(err, layer.ErrDigestMismatch) || !strings.Contains(err.Error(), img.Digest().Encoded()) {
		t.Errorf("corrupt manifest: %v", err)
	}
	if _, err := readTarballImage(t, flip("blobs/sha256/"+img.ConfigDigest().Encoded()), "v1", amd64); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("corrupt config: %v", err)
	}
	truncIndex := rewriteTar(t, data, func(name string, body []byte) (string, []byte) {
		if name == "index.json" {
			body = body[:len(body)-3]
		}
		return name, body
	})
	if _, err := readTarballImage(t, truncIndex, "v1", amd64); !errors.Is(err, image.ErrCorrupt) || !strings.Contains(err.Error(), "index.json") {
		t.Errorf("corrupt index.json: %v", err)
	}
	if _, err := tarball.Read(writeTemp(t, []byte("not a tar file at all, just text"))); err == nil {
		t.Error("text accepted")
	}
	if _, err := tarball.Read(writeTemp(t, []byte{0x1f, 0x8b, 8, 0, 0, 0})); !errors.Is(err, layout.ErrNotLayout) || !strings.Contains(err.Error(), "decompress") {
		t.Errorf("gzip: %v", err)
	}
}

func TestWriteTarballFile(t *testing.T) {
	img := imagetest.Fixture(t, amd64)
	dir := t.TempDir()
	p := filepath.Join(dir, "app.tar")
	if err := tarball.WriteFile(context.Background(), p, img, tarball.Options{Tags: []string{"app:v1"}}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := tarBytes(t, img, "app:v1"); !bytes.Equal(got, want) {
		t.Fatal("the file differs from WriteTarball's bytes")
	}

	// A write that fails part way leaves the previous file and nothing else.
	err = tarball.WriteFile(context.Background(), p, img.Append(failingLayer(t)), tarball.Options{})
	if err == nil || !errors.Is(err, imagetest.ErrFailing) {
		t.Fatalf("failing layer: %v", err)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(after, got) {
		t.Error("a failed write changed the file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in the directory after a failed write, want only app.tar", len(ents))
	}
	if err := tarball.WriteFile(context.Background(), filepath.Join(dir, "missing", "x.tar"), img, tarball.Options{}); err == nil || !strings.HasPrefix(err.Error(), "tarball: write") {
		t.Errorf("missing directory: %v", err)
	}
}

var (
	amd64 = image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = image.Platform{OS: "linux", Architecture: "arm64"}
)

// failingLayer is a layer whose blob reader fails after half its bytes.
func failingLayer(t *testing.T) *layer.Layer {
	return imagetest.Failing(t, imagetest.FilesLayer(t, "big", strings.Repeat("x", 64<<10)))
}

var update = flag.Bool("update", false, "rewrite testdata/golden.json")

// TestGolden pins the bytes of the tarballs of a fixed image and index.
// A change here changes users' files: it is a breaking change, not a test
// to update casually.
func TestGolden(t *testing.T) {
	img := imagetest.Fixture(t, amd64)
	ix := imagetest.FixtureIndex(t)
	sum := func(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }
	got := map[string]string{
		"image.tarball":       sum(tarBytes(t, img, "app:v1")),
		"index.tarball":       sum(tarBytes(t, ix, "app:v1")),
		"image.tarball.notag": sum(tarBytes(t, img)),
	}
	testenv.Golden(t, filepath.Join("testdata", "golden.json"), got, *update)
}

// A tar that holds a file twice is refused: docker takes the first copy,
// archive/tar readers the last (issue 17, item 12).
func TestDuplicateEntries(t *testing.T) {
	data := tarBytes(t, imagetest.Fixture(t, amd64), "app:v1")
	var dup bytes.Buffer
	tw := tar.NewWriter(&dup)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("[]"))
	tw.Flush()
	// The rest of the original tarball, without its end marker.
	dup.Write(bytes.TrimRight(data, "\x00"))
	for dup.Len()%512 != 0 {
		dup.WriteByte(0)
	}
	dup.Write(make([]byte, 1024))
	_, err := tarball.Read(writeTemp(t, dup.Bytes()))
	if !errors.Is(err, image.ErrCorrupt) || !strings.Contains(err.Error(), "manifest.json twice") {
		t.Errorf("duplicate manifest.json: %v", err)
	}
}

// An image of a docker archive serves as a base: its layers are read
// through the tarball after Read returned, with no Close to order (issue
// 11, bug 1), and its config keeps its bytes.
func TestDockerArchiveAsBase(t *testing.T) {
	img := imagetest.Fixture(t, amd64)
	dockerOnly := rewriteTar(t, tarBytes(t, img, "app:v1"), func(name string, body []byte) (string, []byte) {
		if name == "index.json" || name == "oci-layout" {
			return "", nil
		}
		return name, body
	})
	l, err := tarball.Read(writeTemp(t, dockerOnly))
	if err != nil {
		t.Fatal(err)
	}
	base, err := l.Image(t.Context(), "app:v1", amd64)
	if err != nil {
		t.Fatal(err)
	}
	if base.ConfigDigest() != img.ConfigDigest() {
		t.Errorf("config %s, want %s", base.ConfigDigest(), img.ConfigDigest())
	}
	child := image.FromBase(base, "app:v1").Append(imagetest.FilesLayer(t, "new", "x"))
	var buf bytes.Buffer
	if err := tarball.Write(t.Context(), &buf, child, tarball.Options{Tags: []string{"child:v1"}}); err != nil {
		t.Fatal(err)
	}
	back, err := tarball.Read(writeTemp(t, buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Image(t.Context(), "child:v1", amd64)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range img.Layers() {
		if got.Layers()[i].Digest() != want.Digest() {
			t.Errorf("layer %d: %s, want the base's %s", i, got.Layers()[i].Digest(), want.Digest())
		}
	}
	if n, err := back.Verify(t.Context()); err != nil || n != len(child.Blobs()) {
		t.Errorf("verify: %d, %v", n, err)
	}
}

// A docker archive whose manifest.json lists one layer file thousands of
// times hashes that file once; past image.MaxDescriptors names it is
// refused at once (issue 17, item 1).
func TestDockerArchiveFanOut(t *testing.T) {
	big := imagetest.FilesLayer(t, "big", strings.Repeat("0123456789abcdef", 1<<18)) // 4 MiB
	diffIDs := make([]string, 0, 3000)
	layers := make([]string, 0, 3000)
	for range 3000 {
		diffIDs = append(diffIDs, `"`+big.DiffID().String()+`"`)
		layers = append(layers, `"a/layer.tar"`)
	}
	cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[` + strings.Join(diffIDs, ",") + `]}}`
	rc, err := big.Compressed(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	layerBytes, _ := io.ReadAll(rc)
	rc.Close()
	mk := func(layers []string) string {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		put := func(name string, data []byte) {
			tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
			tw.Write(data)
		}
		put("cfg.json", []byte(cfg))
		put("a/layer.tar", layerBytes)
		put("manifest.json", []byte(`[{"Config":"cfg.json","RepoTags":["app:v1"],"Layers":[`+strings.Join(layers, ",")+`]}]`))
		tw.Close()
		return writeTemp(t, buf.Bytes())
	}
	start := time.Now()
	l, err := tarball.Read(mk(layers))
	if err != nil {
		t.Fatal(err)
	}
	img, err := l.Image(t.Context(), "app:v1", amd64)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(img.Layers()); n != 3000 {
		t.Fatalf("%d layers", n)
	}
	if n, err := l.Verify(t.Context()); err != nil || n != 2 {
		t.Errorf("verify: %d blobs, %v; want the config and the one layer file", n, err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %v: the layer file was read once per reference", el)
	}
	many := make([]string, image.MaxDescriptors+1)
	for i := range many {
		many[i] = `"a/layer.tar"`
	}
	if _, err := tarball.Read(mk(many)); !errors.Is(err, image.ErrCorrupt) {
		t.Errorf("%d layer names: %v, want ErrCorrupt", len(many), err)
	}
}

// A layer an image lists twice is stored once (issue 17, item 10).
func TestLayerListedTwiceStoredOnce(t *testing.T) {
	l := imagetest.FilesLayer(t, "dup", "x")
	img := imagetest.Fixture(t, amd64).Append(l, l)
	names, _ := untar(t, tarBytes(t, img))
	n := 0
	for _, name := range names {
		if name == "blobs/sha256/"+l.Digest().Encoded() {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the layer is stored %d times", n)
	}
}
