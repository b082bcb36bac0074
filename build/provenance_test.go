package build_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

// provenance is the part of SLSA provenance v1 the tests read.
type provenance struct {
	BuildDefinition struct {
		BuildType            string
		ExternalParameters   map[string]any
		ResolvedDependencies []struct {
			Name, URI   string
			Digest      map[string]string
			Annotations map[string]string
		}
	}
	RunDetails struct {
		Builder struct {
			ID      string
			Version map[string]string
		}
		Metadata struct{ StartedOn, FinishedOn string }
	}
}

// TestProvenance builds on a base, with zones and the CA bundle, and
// checks what the provenance says: the recipe as given, each dependency
// by digest or version, minimage as the builder, and Recipe.Created as
// the times.
func TestProvenance(t *testing.T) {
	t.Parallel()
	bin := helloBinary(t)
	baseImg := image.New(amd64).WithLabel("base", "yes")
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600))
	res, err := build.Run(t.Context(), build.Recipe{
		Binaries: []build.Binary{{Path: bin}}, Platforms: []image.Platform{amd64}, Created: created,
		Base:  build.BaseOf("example.com/base:v1", baseImg),
		Zones: []string{"Europe/Paris"}, Labels: map[string]string{"team": "core"},
		SBOM: build.SBOMOptions{None: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	var p provenance
	if err := json.Unmarshal(res.Provenance, &p); err != nil {
		t.Fatalf("%v\n%s", err, res.Provenance)
	}
	if p.BuildDefinition.BuildType != build.ProvenanceBuildType || p.RunDetails.Builder.ID != build.ProvenanceBuilderID || p.RunDetails.Builder.Version["minimage"] == "" {
		t.Errorf("buildType %q, builder %+v", p.BuildDefinition.BuildType, p.RunDetails.Builder)
	}
	ext := p.BuildDefinition.ExternalParameters
	if !slices.Equal(toStrings(ext["binaries"]), []string{bin}) || ext["base"] != "example.com/base:v1" || !slices.Equal(toStrings(ext["platforms"]), []string{"linux/amd64"}) ||
		!slices.Equal(toStrings(ext["zones"]), []string{"Europe/Paris"}) || ext["labels"].(map[string]any)["team"] != "core" {
		t.Errorf("externalParameters %v", ext)
	}
	want := "2024-05-06T06:08:09Z"
	if m := p.RunDetails.Metadata; m.StartedOn != want || m.FinishedOn != want {
		t.Errorf("metadata %+v, want both %s (Recipe.Created, UTC)", m, want)
	}
	deps := map[string]int{}
	for i, d := range p.BuildDefinition.ResolvedDependencies {
		deps[d.Name] = i
	}
	dep := func(name string) (d struct {
		Name, URI   string
		Digest      map[string]string
		Annotations map[string]string
	}) {
		i, ok := deps[name]
		if !ok {
			t.Errorf("no dependency %q among %s", name, res.Provenance)
			return d
		}
		return p.BuildDefinition.ResolvedDependencies[i]
	}
	if d := dep("example.com/base:v1"); d.Digest["sha256"] != baseImg.Digest().Encoded() {
		t.Errorf("base %+v, want digest %s", d, baseImg.Digest())
	}
	ca, err := certs.File(certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(ca)
	if d := dep("CA bundle"); d.Digest["sha256"] != hex.EncodeToString(sum[:]) || d.URI != "pkg:golang/golang.org/x/crypto/x509roots/fallback@"+certs.Version() {
		t.Errorf("CA bundle %+v", d)
	}
	bi := res.Report.Platforms[0].Binary.BuildInfo
	if d := dep("go"); d.Annotations["version"] != bi.GoVersion {
		t.Errorf("go %+v, want %s", d, bi.GoVersion)
	}
	if d := dep(bi.Main.Path); d.URI == "" {
		t.Errorf("main module %+v", d)
	}
	if d := dep("tzdata"); d.Annotations["release"] != res.Report.Platforms[0].Zones.Release {
		t.Errorf("tzdata %+v", d)
	}

	none, err := build.Run(t.Context(), build.Recipe{Binaries: []build.Binary{{Path: bin}}, Platforms: []image.Platform{amd64}, Bare: true, Provenance: build.ProvenanceOptions{None: true}})
	if err != nil || none.Provenance != nil || len(none.Statements()) != 1 {
		t.Errorf("Provenance.None: %s, %d statements, %v; want no provenance, the SBOM's statement", none.Provenance, len(none.Statements()), err)
	}
}

// TestProvenancePushed checks where the provenance goes: an unsigned
// in-toto referrer without a key, signed attestations (provenance and
// SBOM) with one, beside the signatures.
func TestProvenancePushed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	reg := registrytest.New(t, registrytest.Options{})
	ro := remote.Options{InsecureAllowHTTP: true}
	bin := helloBinary(t)
	key, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signed := reg.Host() + "/app:signed"
	res, err := build.Run(ctx, build.Recipe{
		Binaries: []build.Binary{{Path: bin}}, Platforms: []image.Platform{amd64}, Bare: true,
		Outputs: []build.Output{{Format: build.Registry, Path: signed, Remote: ro}},
		Sign:    build.SignOptions{Key: key},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := signature.Options{Remote: ro}
	d := res.Artifact.Digest()
	if _, err := signature.VerifyDigest(ctx, signed, d, &key.PublicKey, opts); err != nil {
		t.Error(err)
	}
	for typ, pred := range map[string][]byte{signature.PredicateSLSAProvenance1: res.Provenance, signature.PredicateSPDX: res.SBOMs[0]} {
		stmts, err := signature.VerifyAttestation(ctx, signed, d, &key.PublicKey, typ, opts)
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		// The statement holds the document's bytes; JSON gives them back
		// without the final newline.
		if string(stmts[0].Predicate) != string(bytes.TrimSpace(pred)) {
			t.Errorf("%s: the attested predicate is not the build's, byte for byte", typ)
		}
	}

	unsigned := reg.Host() + "/other:unsigned"
	res2, err := build.Run(ctx, build.Recipe{
		Binaries: []build.Binary{{Path: bin}}, Platforms: []image.Platform{amd64}, Bare: true,
		Outputs: []build.Output{{Format: build.Registry, Path: unsigned, Remote: ro}},
	})
	if err != nil {
		t.Fatal(err)
	}
	refs, err := res2.ProvenanceReferrers()
	if err != nil || len(refs) != 1 {
		t.Fatalf("%d provenance referrers, %v", len(refs), err)
	}
	if _, err := remote.Pull(ctx, reg.Host()+"/other@"+refs[0].Digest().String(), ro); err != nil {
		t.Errorf("the provenance referrer was not pushed: %v", err)
	}
	if _, err := signature.VerifyDigest(ctx, unsigned, d, &key.PublicKey, opts); !errors.Is(err, signature.ErrNoSignature) {
		t.Errorf("unsigned build: %v, want ErrNoSignature", err)
	}
	if _, err := build.Run(ctx, build.Recipe{Binaries: []build.Binary{{Path: bin}}, Platforms: []image.Platform{amd64}, Bare: true, Sign: build.SignOptions{Key: key},
		Outputs: []build.Output{{Format: build.Tarball, Path: filepath.Join(t.TempDir(), "app.tar")}}}); !errors.Is(err, build.ErrInvalid) {
		t.Errorf("Sign.Key without a Registry or Layout output: %v, want ErrInvalid", err)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}
