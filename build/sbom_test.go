package build_test

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/sbom"
	"github.com/minimage/minimage/tzdata"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// spdxDoc is what the tests read of a document.
type spdxDoc struct {
	Name         string
	CreationInfo struct{ Created string }
	Packages     []struct {
		SPDXID, Name, VersionInfo string
		Checksums                 []struct{ Algorithm, ChecksumValue string }
		ExternalRefs              []struct{ ReferenceType, ReferenceLocator string }
	}
	Files []struct {
		SPDXID, FileName string
		Checksums        []struct{ Algorithm, ChecksumValue string }
	}
	Relationships []struct{ SpdxElementID, RelationshipType, RelatedSpdxElement string }
}

func parseSPDX(t *testing.T, data []byte) spdxDoc {
	t.Helper()
	var d spdxDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, data)
	}
	return d
}

// files returns each file's path in the image and its SHA1 and SHA256.
func (d spdxDoc) files() map[string][2]string {
	m := make(map[string][2]string)
	for _, f := range d.Files {
		var h [2]string
		for _, c := range f.Checksums {
			switch c.Algorithm {
			case "SHA1":
				h[0] = c.ChecksumValue
			case "SHA256":
				h[1] = c.ChecksumValue
			}
		}
		m[strings.TrimPrefix(f.FileName, ".")] = h
	}
	return m
}

func (d spdxDoc) pkg(name string) (version, sha256 string, ok bool) {
	for _, p := range d.Packages {
		if p.Name == name {
			for _, c := range p.Checksums {
				if c.Algorithm == "SHA256" {
					sha256 = c.ChecksumValue
				}
			}
			return p.VersionInfo, sha256, true
		}
	}
	return "", "", false
}

func hashes(content string) [2]string {
	s1, s256 := sha1.Sum([]byte(content)), sha256.Sum256([]byte(content))
	return [2]string{hex.EncodeToString(s1[:]), hex.EncodeToString(s256[:])}
}

// TestRunSBOM builds two platforms with zones and a file, writes the
// documents to a directory and as referrers into a layout, and checks each
// document against the image it describes: every file minimage wrote is
// listed with the hashes of the bytes in the image, and every place a
// document goes holds the same bytes.
func TestRunSBOM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.yaml")
	os.WriteFile(conf, []byte("greeting: hello\n"), 0o644)
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	lay, sbomDir := filepath.Join(dir, "layout"), filepath.Join(dir, "sbom")
	r := build.Recipe{
		Package:   hello(t),
		Platforms: []image.Platform{amd64, arm64},
		Zones:     []string{"Europe/Paris", "Asia/Tokyo"},
		Localtime: "Europe/Paris",
		Files:     []build.File{{Source: conf, Path: "/etc/app/app.yaml"}},
		Created:   created,
		Outputs:   []build.Output{{Format: build.Layout, Path: lay}, {Format: build.Tarball, Path: filepath.Join(dir, "hello.tar")}},
		Tags:      []string{"v1"},
		SBOM:      build.SBOMOptions{Dir: sbomDir, Referrer: true},
	}
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SBOMs) != 2 {
		t.Fatalf("%d SBOMs for 2 images", len(res.SBOMs))
	}
	refs, err := res.Referrers()
	if err != nil {
		t.Fatal(err)
	}
	baseFiles := map[string]bool{}
	for _, f := range base.Files() {
		baseFiles[f.Path] = true
	}
	for i, img := range res.Images {
		pl := img.Platform()
		doc := parseSPDX(t, res.SBOMs[i])
		if doc.Name != "hello ("+pl.String()+")" || doc.CreationInfo.Created != "2024-05-06T07:08:09Z" {
			t.Errorf("%s: document %q created %s; want it named after hello (the tag v1 left out) and created at the image's time", pl, doc.Name, doc.CreationInfo.Created)
		}
		if _, sum, ok := doc.pkg("hello"); !ok || "sha256:"+sum != img.Digest().String() {
			t.Errorf("%s: image package checksum %q, want the image's digest %s", pl, sum, img.Digest())
		}
		if v, _, ok := doc.pkg("ca-certificates"); !ok || v != certs.Version() {
			t.Errorf("%s: ca-certificates package version %q, want %s", pl, v, certs.Version())
		}
		if v, _, ok := doc.pkg("tzdata"); !ok || v != tzdata.Release {
			t.Errorf("%s: tzdata package version %q, want %s", pl, v, tzdata.Release)
		}
		bi := res.Report.Platforms[i].Binary.BuildInfo
		if v, _, ok := doc.pkg("stdlib"); !ok || v != bi.GoVersion {
			t.Errorf("%s: stdlib version %q, the binary's Go is %s", pl, v, bi.GoVersion)
		}

		// Every regular file minimage wrote, and no other, with the
		// hashes of its bytes in the image.
		listed := doc.files()
		var want []string
		for p, f := range imagetest.Files(t, img) {
			if !f.Mode.IsRegular() || f.Link != "" || baseFiles[p] {
				continue // directories, links and the base files
			}
			want = append(want, p)
			if got, ok := listed[p]; !ok || got != hashes(f.Content) {
				t.Errorf("%s: %s is listed with hashes %q, its bytes have %q", pl, p, got, hashes(f.Content))
			}
		}
		if len(listed) != len(want) {
			t.Errorf("%s: the document lists %d files, the image holds %d that minimage wrote: %q", pl, len(listed), len(want), want)
		}
		for _, p := range []string{"/hello", certs.Path, tzdata.Dir + "/Asia/Tokyo", "/etc/app/app.yaml"} {
			if _, ok := listed[p]; !ok {
				t.Errorf("%s: %s is not in the document", pl, p)
			}
		}

		// The same bytes in the directory and in the layout's referrer.
		name := sbom.FileName("hello:v1", pl.String())
		if got, err := os.ReadFile(filepath.Join(sbomDir, name)); err != nil || !bytes.Equal(got, res.SBOMs[i]) {
			t.Errorf("%s: %s differs from Result.SBOMs (%v)", pl, name, err)
		}
		var mf ocispec.Manifest
		if err := json.Unmarshal(refs[i].RawManifest(), &mf); err != nil {
			t.Fatal(err)
		}
		if s := mf.Subject; s == nil || s.Digest != img.Digest() || s.MediaType != img.MediaType() || mf.ArtifactType != sbom.MediaType || refs[i].Descriptor().ArtifactType != sbom.MediaType {
			t.Errorf("%s: referrer of type %s with subject %+v, want %s and the image %s", pl, mf.ArtifactType, s, sbom.MediaType, img.Digest())
		}
		if len(mf.Layers) != 1 || mf.Layers[0].MediaType != sbom.MediaType || mf.Layers[0].Annotations[ocispec.AnnotationTitle] != name || mf.Config.MediaType != ocispec.MediaTypeEmptyJSON {
			t.Errorf("%s: referrer manifest %+v", pl, mf)
		}
	}

	l, err := layout.Read(lay)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Verify(t.Context()); err != nil {
		t.Error(err)
	}
	ds := l.Manifests()
	if len(ds) != 3 || ds[0].Digest != res.Artifact.Digest() || !slices.Equal(l.Tags(), []string{"v1"}) {
		t.Fatalf("index.json lists %+v; want the index tagged v1 and two referrers", ds)
	}
	for i, d := range ds[1:] {
		if d.Digest != refs[i].Digest() || d.ArtifactType != sbom.MediaType || d.Annotations[ocispec.AnnotationRefName] != "" {
			t.Errorf("entry %d: %+v; want the untagged referrer %s of type %s", i+1, d, refs[i].Digest(), sbom.MediaType)
		}
		a, err := image.Load(t.Context(), l, d)
		if err != nil {
			t.Fatal(err)
		}
		var blob []byte
		for _, b := range a.Blobs() {
			if b.Descriptor.MediaType == sbom.MediaType {
				rc, err := b.Open(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				buf.ReadFrom(rc)
				rc.Close()
				blob = buf.Bytes()
			}
		}
		if !bytes.Equal(blob, res.SBOMs[i]) {
			t.Errorf("entry %d: the layout's SBOM blob differs from Result.SBOMs[%d]", i+1, i)
		}
	}
	if got, err := l.Artifact(t.Context(), "v1"); err != nil || got.Digest() != res.Artifact.Digest() {
		t.Errorf("the tag v1 names %v (%v), want the index", got, err)
	}
	if got := readBack(t, r.Outputs[1], "v1"); got != res.Artifact.Digest().String() {
		t.Errorf("the tarball holds %s, want the index alone", got)
	}
}

// TestRunSBOMInImage puts the document into the image, in the binary's
// layer: the document then carries no image digest, and the image's
// digest is not the one built without it.
func TestRunSBOMInImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sbomDir := filepath.Join(dir, "sbom")
	baseImg := imagetest.Image(t, imagetest.Spec{Seed: 7, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}}})
	r := build.Recipe{
		Package:   hello(t),
		Platforms: []image.Platform{amd64},
		Base:      build.BaseOf("example.com/base:v2", baseImg),
		SBOM:      build.SBOMOptions{Dir: sbomDir, InImage: build.SBOMInImagePath("hello"), Name: "example.com/hello:v3"},
	}
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	img := res.Images[0]
	files := imagetest.Files(t, img)
	inImage, ok := files["/usr/share/sbom/hello.spdx.json"]
	if !ok || inImage.Content != string(res.SBOMs[0]) || inImage.Mode.Perm() != 0o644 {
		t.Fatalf("/usr/share/sbom/hello.spdx.json: %v, mode %v; want Result.SBOMs[0], 0644", ok, inImage.Mode)
	}
	if got, _ := os.ReadFile(filepath.Join(sbomDir, "hello-linux-amd64.spdx.json")); !bytes.Equal(got, res.SBOMs[0]) {
		t.Error("the directory's document differs from the image's")
	}
	doc := parseSPDX(t, res.SBOMs[0])
	for _, p := range doc.Packages {
		if p.Name == "example.com/hello" && (len(p.Checksums) > 0 || len(p.ExternalRefs) > 0) {
			t.Errorf("the image package has checksums %v and refs %v; a document in the image cannot know its digest", p.Checksums, p.ExternalRefs)
		}
	}
	if _, sum, ok := doc.pkg("example.com/base"); !ok || "sha256:"+sum != baseImg.Digest().String() {
		t.Errorf("base package checksum %q, want the base's digest %s", sum, baseImg.Digest())
	}
	descends := false
	for _, rel := range doc.Relationships {
		descends = descends || rel.RelationshipType == "DESCENDANT_OF"
	}
	if !descends {
		t.Error("no DESCENDANT_OF relationship to the base")
	}

	// The same build without the document: one layer fewer files, another
	// digest, and the same number of layers.
	bin := filepath.Join(dir, "hello")
	os.WriteFile(bin, []byte(files["/hello"].Content), 0o755)
	r.Package, r.Binaries, r.SBOM = "", []build.Binary{{Path: bin}}, build.SBOMOptions{}
	plain, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	if p := plain.Images[0]; p.Digest() == img.Digest() || len(p.Layers()) != len(img.Layers()) {
		t.Errorf("without the document: %s in %d layers; with it %s in %d", p.Digest(), len(p.Layers()), img.Digest(), len(img.Layers()))
	}
	if _, sum, _ := parseSPDX(t, plain.SBOMs[0]).pkg("hello"); "sha256:"+sum != plain.Images[0].Digest().String() {
		t.Errorf("a document outside the image has checksum %q, want the image's digest", sum)
	}
}

// TestRunSBOMOptions checks the options Run refuses before any work, and
// that None makes no documents.
func TestRunSBOMOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct {
		name string
		s    build.SBOMOptions
		want string
	}{
		{"none and a dir", build.SBOMOptions{None: true, Dir: dir}, "cannot be combined"},
		{"none and a referrer", build.SBOMOptions{None: true, Referrer: true}, "cannot be combined"},
		{"the binary's path", build.SBOMOptions{InImage: "/hello"}, "is the binary's"},
		{"a directory", build.SBOMOptions{InImage: "/usr/share/sbom/"}, "give a file path"},
		{"dir is a file", build.SBOMOptions{Dir: file}, "is a file"},
		{"dir without a parent", build.SBOMOptions{Dir: filepath.Join(dir, "a", "b")}, "create it first"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := build.Run(t.Context(), build.Recipe{Package: hello(t), SBOM: c.s})
			if !errors.Is(err, build.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v; want ErrInvalid saying %q", err, c.want)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		res, err := build.Run(t.Context(), build.Recipe{Package: hello(t), Bare: true, SBOM: build.SBOMOptions{None: true}})
		if err != nil {
			t.Fatal(err)
		}
		refs, err := res.Referrers()
		if res.SBOMs != nil || refs != nil || err != nil {
			t.Errorf("SBOMs %d, referrers %d (%v); want none", len(res.SBOMs), len(refs), err)
		}
	})
}
