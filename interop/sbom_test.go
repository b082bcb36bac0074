package interop

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/sbom"
	"github.com/minimage/minimage/tzdata"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/santhosh-tekuri/jsonschema/v5"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"
)

// The SPDX 2.3 JSON schema, vendored in sbom/testdata (see its README),
// and its sha256: a changed file is a test failure, not a silent change of
// what the documents are checked against.
const (
	spdxSchemaPath   = "../sbom/testdata/spdx-schema.json"
	spdxSchemaSHA256 = "4126dc29f15e92feec92e9622f4939131ad58b125d6f578aa93e980a6e6f3212"
)

func spdxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(spdxSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != spdxSchemaSHA256 {
		t.Fatalf("%s has sha256 %x, want %s: the vendored schema changed", spdxSchemaPath, sum, spdxSchemaSHA256)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2019
	if err := c.AddResource("spdx-schema.json", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("spdx-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSBOMValid checks documents against the SPDX 2.3 JSON schema and
// through spdx/tools-golang, which parses them and checks that every
// relationship names an element of the document: a document for a real
// image, and one whose names and versions hold every awkward character.
func TestSBOMValid(t *testing.T) {
	schema := spdxSchema(t)
	docs := map[string][]byte{"awkward": generateSBOM(t, awkwardInput())}

	// The schema is strict enough to catch what matters: an SPDXID with a
	// '+' (as ko writes for +incompatible versions) or a local time fails.
	for _, bad := range [][2]string{{`"SPDXRef-Image-localhost-5000-Team-app"`, `"SPDXRef-Image-v1+incompatible"`}, {`"2025-06-01T12:00:00Z"`, `"2025-06-01T14:00:00+02:00"`}} {
		var v any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(string(docs["awkward"]), bad[0], bad[1])), &v); err != nil {
			t.Fatal(err)
		}
		if schema.Validate(v) == nil {
			t.Errorf("the schema accepts a document with %s in place of %s", bad[1], bad[0])
		}
	}
	if testing.Short() {
		t.Log("-short: no image built")
	} else {
		docs["image"] = generateSBOM(t, sbomImage(t).input)
		docs["cli"] = sbomImage(t).cliDoc
	}
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(v); err != nil {
				t.Errorf("does not pass the SPDX 2.3 schema: %#v", err)
			}
			doc, err := spdxjson.Read(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("tools-golang cannot read it: %v", err)
			}
			if err := spdxlib.ValidateDocument(doc); err != nil {
				t.Errorf("tools-golang: %v", err)
			}
			var raw struct {
				Packages, Files, Relationships []json.RawMessage
			}
			json.Unmarshal(data, &raw)
			if len(doc.Packages) != len(raw.Packages) || len(doc.Files) != len(raw.Files) || len(doc.Relationships) != len(raw.Relationships) {
				t.Errorf("tools-golang reads %d packages, %d files, %d relationships; the document has %d, %d, %d",
					len(doc.Packages), len(doc.Files), len(doc.Relationships), len(raw.Packages), len(raw.Files), len(raw.Relationships))
			}
			if doc.SPDXVersion != "SPDX-2.3" || doc.CreationInfo == nil || len(doc.CreationInfo.Creators) != 1 {
				t.Errorf("tools-golang reads version %q, creation info %+v", doc.SPDXVersion, doc.CreationInfo)
			}
			for _, p := range doc.Packages {
				if p.FilesAnalyzed && p.PackageVerificationCode == nil {
					t.Errorf("package %s: files analyzed without a verification code", p.PackageSPDXIdentifier)
				}
			}
		})
	}
}

// TestSBOMAgainstSyft scans the same image with syft and checks that every
// Go module syft finds is a package of ours, with the same version and
// checksum, and that ours also lists the CA bundle and the zone files,
// which syft does not see. syft is not installed by .ci/run (it takes
// minutes to build); install it with
// go install github.com/anchore/syft/cmd/syft@v1.57.1.
func TestSBOMAgainstSyft(t *testing.T) {
	syft, err := exec.LookPath("syft")
	if err != nil {
		t.Skip("syft not installed")
	}
	if testing.Short() {
		t.Skip("-short: no image built")
	}
	img := sbomImage(t)
	cmd := exec.Command(syft, "scan", "oci-dir:"+img.layout, "-q", "-o", "spdx-json")
	cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("syft: %v", err)
	}
	theirs, ours := spdxPackages(t, out), spdxPackages(t, generateSBOM(t, img.input))

	goModules := 0
	for _, p := range theirs {
		if !strings.HasPrefix(p.purl, "pkg:golang/") {
			continue
		}
		goModules++
		o, ok := ours[p.name]
		switch {
		case !ok:
			t.Errorf("syft finds Go module %s %s; ours does not list it", p.name, p.version)
		case p.version != o.version && !(p.version == "UNKNOWN" && o.version == "(devel)"):
			t.Errorf("Go module %s: syft says version %q, ours %q", p.name, p.version, o.version)
		case p.sha256 != o.sha256:
			t.Errorf("Go module %s: syft's SHA256 %q, ours %q", p.name, p.sha256, o.sha256)
		case p.purl != o.purl:
			t.Errorf("Go module %s: syft's purl %s, ours %s", p.name, p.purl, o.purl)
		}
		if p.name == "stdlib" && p.cpe != ours["stdlib"].cpe {
			t.Errorf("stdlib: syft's CPE %s, ours %s", p.cpe, ours["stdlib"].cpe)
		}
	}
	if goModules < 3 {
		t.Errorf("syft finds %d Go modules; the image's program has dependencies, so it misread the image", goModules)
	}
	for _, name := range []string{"ca-certificates", "tzdata"} {
		if ours[name].files == 0 {
			t.Errorf("ours has no %s package with files", name)
		}
		if _, ok := theirs[name]; ok {
			t.Logf("syft now lists %s too", name)
		}
	}
	t.Logf("syft: %d packages, %d Go modules; ours: %d packages", len(theirs), goModules, len(ours))
}

type spdxPkg struct {
	name, version, sha256, purl, cpe string
	files                            int
}

// spdxPackages reads an SPDX JSON document's packages by name, counting
// the files each CONTAINS.
func spdxPackages(t *testing.T, data []byte) map[string]spdxPkg {
	t.Helper()
	var d struct {
		Packages []struct {
			SPDXID, Name, VersionInfo string
			Checksums                 []struct{ Algorithm, ChecksumValue string }
			ExternalRefs              []struct{ ReferenceType, ReferenceLocator string }
		}
		Files         []struct{ SPDXID string }
		Relationships []struct{ SpdxElementID, RelationshipType, RelatedSpdxElement string }
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	isFile := make(map[string]bool)
	for _, f := range d.Files {
		isFile[f.SPDXID] = true
	}
	out := make(map[string]spdxPkg)
	for _, p := range d.Packages {
		sp := spdxPkg{name: p.Name, version: p.VersionInfo}
		for _, c := range p.Checksums {
			if c.Algorithm == "SHA256" {
				sp.sha256 = c.ChecksumValue
			}
		}
		for _, r := range p.ExternalRefs {
			switch r.ReferenceType {
			case "purl":
				sp.purl = r.ReferenceLocator
			case "cpe23Type":
				if sp.cpe == "" {
					sp.cpe = r.ReferenceLocator
				}
			}
		}
		for _, r := range d.Relationships {
			if r.SpdxElementID == p.SPDXID && r.RelationshipType == "CONTAINS" && isFile[r.RelatedSpdxElement] {
				sp.files++
			}
		}
		out[p.Name] = sp
	}
	return out
}

func generateSBOM(t *testing.T, in sbom.Input) []byte {
	t.Helper()
	data, err := sbom.Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// awkwardInput holds the names and versions that break SPDXIDs and purls
// elsewhere: (devel), +incompatible, +dirty, replacements, upper case.
func awkwardInput() sbom.Input {
	return sbom.Input{
		Name:     "localhost:5000/Team/app:v1+build",
		Platform: "linux/arm/v7",
		Created:  time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Digest:   digest.FromString("manifest"),
		Binary:   sbom.NewFile("/usr/local/bin/app", []byte("program")),
		BuildInfo: &debug.BuildInfo{
			GoVersion: "go1.27rc1 X:nodwarf5",
			Main:      debug.Module{Path: "example.com/App", Version: "v1.2.3+dirty"},
			Deps: []*debug.Module{
				{Path: "github.com/Azure/go-autorest", Version: "v14.2.0+incompatible", Sum: "h1:V5VMDjClD3GiElqLWO7mz2MxNAK/vTfRHdAubSIPRgs="},
				{Path: "example.com/a", Version: "(devel)"},
				{Path: "example.com/b", Version: "v1.0.0", Replace: &debug.Module{Path: "../b"}},
				{Path: "example.com/c", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/C", Version: "v1.0.1"}},
			},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}},
		},
		Components: []sbom.Component{
			sbom.TZData("2025c", sbom.NewFile("/usr/share/zoneinfo/Etc/GMT+1", []byte("a")), sbom.NewFile("/usr/share/zoneinfo/Etc/GMT-1", []byte("b"))),
			sbom.CABundle(certs.Version(), sbom.NewFile(certs.Path, []byte("c"))),
		},
		Base: &sbom.Base{Name: "gcr.io/distroless/static@" + digest.FromString("base").String(), Digest: digest.FromString("base")},
	}
}

// A real image for the SBOM tests: minimage's own command (it has module
// dependencies) built by the minimage command with two zones, the SBOM
// that command wrote for it (--sbom-out), and the Input a build would give
// for it, made from the layout's bytes alone.
type sbomFixture struct {
	layout string
	input  sbom.Input
	exe    string // the minimage command that built it
	cliDoc []byte // the SBOM it wrote
}

var (
	sbomOnce sync.Once
	sbomFix  *sbomFixture
	sbomErr  string
)

func sbomImage(t *testing.T) *sbomFixture {
	t.Helper()
	sbomOnce.Do(func() {
		dir, err := os.MkdirTemp("", "minimage-sbom-")
		if err != nil {
			sbomErr = err.Error()
			return
		}
		layout, exe, sbomDir := filepath.Join(dir, "layout"), filepath.Join(dir, "minimage"), filepath.Join(dir, "sbom")
		if out, err := exec.Command("go", "-C", "..", "build", "-o", exe, "./cmd/minimage").CombinedOutput(); err != nil {
			sbomErr = "go build ./cmd/minimage: " + err.Error() + "\n" + string(out)
			return
		}
		cmd := exec.Command(exe, "build", "--zones", "Europe/Paris,America/New_York", "-o", layout, "--sbom-out", sbomDir, "./cmd/minimage")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			sbomErr = "minimage build: " + err.Error() + "\n" + string(out)
			return
		}
		doc, err := os.ReadFile(filepath.Join(sbomDir, "minimage-linux-"+runtime.GOARCH+".spdx.json"))
		if err != nil {
			sbomErr = "minimage build --sbom-out: " + err.Error()
			return
		}
		sbomFix = &sbomFixture{layout: layout, exe: exe, cliDoc: doc}
	})
	if sbomFix == nil {
		t.Fatal(sbomErr)
	}
	sbomFix.input = layoutInput(t, sbomFix.layout)
	return sbomFix
}

// layoutInput reads the single image of an OCI layout and returns the
// Input for it: its program (the entrypoint) with build information, the
// CA bundle and the zone files, as a build report would give them.
func layoutInput(t *testing.T, dir string) sbom.Input {
	t.Helper()
	blob := func(d digest.Digest) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded()))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var idx ocispec.Index
	var m ocispec.Manifest
	var cfg ocispec.Image
	idxData, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(idxData, &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("index.json: %v, %d manifests", err, len(idx.Manifests))
	}
	mdesc := idx.Manifests[0]
	if err := json.Unmarshal(blob(mdesc.Digest), &m); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(blob(m.Config.Digest), &cfg); err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte)
	for _, l := range m.Layers {
		zr, err := gzip.NewReader(bytes.NewReader(blob(l.Digest)))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				files[path.Clean("/"+h.Name)], _ = io.ReadAll(tr)
			}
		}
	}
	if len(cfg.Config.Entrypoint) == 0 {
		t.Fatal("the image has no entrypoint")
	}
	binPath := cfg.Config.Entrypoint[0]
	bin, ok := files[binPath]
	if !ok {
		t.Fatalf("the entrypoint %s is not a file of the image", binPath)
	}
	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("%s: %v", binPath, err)
	}
	var zones []sbom.File
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if strings.HasPrefix(p, tzdata.Dir+"/") {
			zones = append(zones, sbom.NewFile(p, files[p]))
		}
	}
	ca, ok := files[certs.Path]
	if !ok || len(zones) == 0 {
		t.Fatalf("the image lacks the CA bundle or zone files")
	}
	created := time.Unix(0, 0)
	if cfg.Created != nil {
		created = *cfg.Created
	}
	// "docker.io/library/minimage:latest", read back as "minimage:latest"
	ref := strings.TrimPrefix(mdesc.Annotations[image.AnnotationContainerdName], "docker.io/library/")
	if ref == "" {
		ref = "minimage"
	}
	return sbom.Input{
		Name:      ref,
		Platform:  cfg.OS + "/" + cfg.Architecture,
		Created:   created,
		Digest:    mdesc.Digest,
		Binary:    sbom.NewFile(binPath, bin),
		BuildInfo: bi,
		Components: []sbom.Component{
			sbom.CABundle(certs.Version(), sbom.NewFile(certs.Path, ca)),
			sbom.TZData(tzdata.Release, zones...),
		},
		Tool: "minimage-interop",
	}
}
