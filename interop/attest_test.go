package interop

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The SLSA provenance v1 schema the statements are checked against, and
// its sha256. SLSA publishes its schema as CUE and protobuf, not JSON
// Schema: this file states, as JSON Schema, the fields, types and
// REQUIRED fields of the specification (see its description).
const (
	slsaSchemaPath   = "testdata/slsa-provenance-v1.schema.json"
	slsaSchemaSHA256 = "071e686703c890ba20ad10ce1cfeedabae6dce06dec91d817daa4ff1210cc120"
)

func slsaSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(slsaSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != slsaSchemaSHA256 {
		t.Fatalf("%s has sha256 %x, want %s: the vendored schema changed", slsaSchemaPath, sum, slsaSchemaSHA256)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource("slsa.json", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("slsa.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	attestOnce sync.Once
	attestRes  *build.Result
	attestErr  error
)

// attestedBuild builds examples/hello for two platforms, with zones,
// once per test binary, at a fixed time: the result whose provenance
// and SBOMs the tests check and attest.
func attestedBuild(t *testing.T) *build.Result {
	t.Helper()
	attestOnce.Do(func() {
		var hello string
		if hello, attestErr = filepath.Abs("../examples/hello"); attestErr != nil {
			return
		}
		attestRes, attestErr = build.Run(t0(), helloRecipe(hello))
	})
	if attestErr != nil {
		t.Fatal(attestErr)
	}
	return attestRes
}

func helloRecipe(hello string) build.Recipe {
	return build.Recipe{
		Package:   hello,
		Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}},
		Zones:     []string{"Europe/Paris"},
		Created:   time.Unix(1700000000, 0),
	}
}

// cosignVerifiesAttestations builds and pushes an index with a key, as
// build --push --sign-key does, and checks that cosign verify-attestation
// accepts its provenance and SBOMs, for the tag and for an image, and
// refuses an attestation stored for another image.
func cosignVerifiesAttestations(t *testing.T, c *cosign, repo string) {
	hello, err := filepath.Abs("../examples/hello")
	if err != nil {
		t.Fatal(err)
	}
	key, prefix := minimageKey(t)
	r := helloRecipe(hello)
	r.Outputs = []build.Output{{Format: build.Registry, Path: repo + ":v1", Remote: sigOpts(nil).Remote}}
	r.Sign.Key = key
	res, err := build.Run(t0(), r)
	if err != nil {
		t.Fatal(err)
	}
	imgRef := repo + "@" + res.Images[1].Digest().String()
	for _, ref := range []string{repo + ":v1", imgRef} {
		for _, typ := range []string{"slsaprovenance1", "spdxjson"} {
			out, err := c.run(t, "verify-attestation", "--key", prefix+".pub", "--insecure-ignore-tlog", "--allow-http-registry", "--type", typ, ref)
			if err != nil {
				t.Errorf("cosign verify-attestation --type %s %s: %v\n%s", typ, ref, err, out)
			}
		}
	}
	if out, err := c.run(t, "verify", "--key", prefix+".pub", "--insecure-ignore-tlog", "--allow-http-registry", imgRef); err != nil {
		t.Errorf("cosign verify %s: %v\n%s", imgRef, err, out)
	}

	// The arm64 image's attestations, stored as the amd64 image's: the
	// statements are not about it, and cosign refuses them.
	atts, err := remotePull(t, repo+":"+signature.AttestationTag(res.Images[1].Digest()))
	if err != nil {
		t.Fatal(err)
	}
	pushArtifact(t, repo+":"+signature.AttestationTag(res.Images[0].Digest()), atts)
	if out, err := c.run(t, "verify-attestation", "--key", prefix+".pub", "--insecure-ignore-tlog", "--allow-http-registry", "--type", "spdxjson", repo+"@"+res.Images[0].Digest().String()); err == nil {
		t.Errorf("cosign verify-attestation of attestations stored for another image passed:\n%s", out)
	}
}

func remotePull(t *testing.T, ref string) (image.Artifact, error) {
	t.Helper()
	return remote.Pull(t0(), ref, sigOpts(nil).Remote)
}

// TestProvenanceSchema checks the build's provenance statement against
// the SLSA v1 schema, and that the schema refuses statements without a
// buildType or with a local time.
func TestProvenanceSchema(t *testing.T) {
	schema := slsaSchema(t)
	res := attestedBuild(t)
	st := res.Statements()[0]
	if st.PredicateType != signature.PredicateSLSAProvenance1 {
		t.Fatalf("first statement of type %s", st.PredicateType)
	}
	data, err := st.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	valid := func(data []byte) error {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		return schema.Validate(v)
	}
	if err := valid(data); err != nil {
		t.Errorf("the provenance does not pass the SLSA v1 schema: %v\n%s", err, data)
	}
	for _, bad := range [][2]string{
		{`"buildType":`, `"buildTypo":`},
		{`"startedOn":"2023-11-14T22:13:20Z"`, `"startedOn":"2023-11-14T23:13:20+01:00"`},
	} {
		changed := strings.Replace(string(data), bad[0], bad[1], 1)
		if changed == string(data) {
			t.Fatalf("%s is not in the statement:\n%s", bad[0], data)
		}
		if valid([]byte(changed)) == nil {
			t.Errorf("the schema accepts the statement with %s", bad[1])
		}
	}
}
