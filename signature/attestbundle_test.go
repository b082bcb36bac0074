package signature

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestCosignAttestationBundleFixture checks the attestation bundle form
// against files cosign v3.1.3 wrote, for machines without cosign: the
// referrer manifest and the bundle of cosign attest --key
// testdata/cosign.key --new-bundle-format --tlog-upload=false
// --use-signing-config=false --type slsaprovenance1 of
// imagetest.Fixture(linux/amd64), in a registry with the referrers API.
func TestCosignAttestationBundleFixture(t *testing.T) {
	read := func(name string) []byte { return testdata(t, name) }
	pub, err := ParsePublicKey(read("cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	img := imagetest.Fixture(t, image.Platform{OS: "linux", Architecture: "amd64"})
	manifest, data := read("cosign-att-bundle-manifest.json"), read("cosign-att-bundle.json")
	blob := image.BlobFromBytes(MediaTypeBundle, data)
	cfg := image.BlobFromBytes(ocispec.MediaTypeEmptyJSON, []byte("{}"))
	r, err := image.ManifestFromRaw(manifest, []image.Blob{cfg, blob})
	if err != nil {
		t.Fatal(err)
	}
	atts, err := ReadBundleAttestations(context.Background(), []image.Artifact{r}, PredicateSLSAProvenance1)
	if err != nil || len(atts) != 1 {
		t.Fatalf("cosign's referrer: %d attestations, %v", len(atts), err)
	}
	stmts, err := verifyAttestations(atts, pub, img.Digest(), PredicateSLSAProvenance1)
	if err != nil || len(stmts) != 1 || !strings.Contains(string(stmts[0].Predicate), "https://minimage.dev/fixture") {
		t.Fatalf("cosign's attestation: %+v, %v", stmts, err)
	}
	if _, err := verifyAttestations(atts, &testKey(t).PublicKey, img.Digest(), PredicateSLSAProvenance1); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v, want ErrWrongKey", err)
	}
	other := imagetest.Image(t, imagetest.Spec{Seed: 40}).Digest()
	if _, err := verifyAttestations(atts, pub, other, PredicateSLSAProvenance1); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("another digest: %v, want ErrDigestMismatch", err)
	}
	if bs, err := ReadBundles(context.Background(), []image.Artifact{r}); err != nil || len(bs) != 0 {
		t.Errorf("ReadBundles took an attestation for a signature: %d, %v", len(bs), err)
	}

	// BundleReferrer stores cosign's bundle in cosign's manifest, byte
	// for byte, its predicate type read from the statement.
	var m ocispec.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	created, err := time.Parse(time.RFC3339, m.Annotations[ocispec.AnnotationCreated])
	if err != nil {
		t.Fatal(err)
	}
	again, err := BundleReferrer(img.Descriptor(), Bundle{Data: data}, created)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.RawManifest(), manifest) {
		t.Errorf("referrer manifest\n%s\ncosign's\n%s", again.RawManifest(), manifest)
	}
	// What minimage writes has cosign's fields, no more, no fewer.
	mine, err := NewAttestationBundle(testKey(t), Statement{Subjects: []Subject{{"x", img.Digest()}}, PredicateType: PredicateSLSAProvenance1, Predicate: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jsonPaths(t, mine.Data), jsonPaths(t, data); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bundle fields %v\ncosign's %v", got, want)
	}
}

// TestAttestationBundleFormat checks what AttestationReferrers writes
// against the published formats, read as generic JSON: OCI 1.1 referrer
// manifests (image-spec's artifact guidance: artifactType, the empty
// config, subject), one per statement and subject, each holding a
// sigstore bundle v0.3 whose DSSE envelope signs, over DSSE's PAE, an
// in-toto statement v1 with the predicate's bytes.
func TestAttestationBundleFormat(t *testing.T) {
	key := testKey(t)
	ix := imagetest.FixtureIndex(t)
	img := ix.Images()[1]
	stmts := []Statement{
		{Subjects: []Subject{{"app", ix.Digest()}, {"app", img.Digest()}}, PredicateType: PredicateSLSAProvenance1, Predicate: []byte(`{"buildDefinition":{"buildType":"b"}}`)},
		{Subjects: []Subject{{"app", img.Digest()}}, PredicateType: PredicateSPDX, Predicate: []byte(`{"spdxVersion":"SPDX-2.3"}`)},
	}
	refs, err := AttestationReferrers(ix, key, stmts)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		subject ocispec.Descriptor
		typ     string
		pred    []byte
	}{
		{ix.Descriptor(), PredicateSLSAProvenance1, stmts[0].Predicate},
		{img.Descriptor(), PredicateSLSAProvenance1, stmts[0].Predicate},
		{img.Descriptor(), PredicateSPDX, stmts[1].Predicate},
	}
	if len(refs) != len(want) {
		t.Fatalf("%d referrers, want %d", len(refs), len(want))
	}
	for i, w := range want {
		var m struct {
			SchemaVersion int                `json:"schemaVersion"`
			MediaType     string             `json:"mediaType"`
			ArtifactType  string             `json:"artifactType"`
			Config        ocispec.Descriptor `json:"config"`
			Layers        []ocispec.Descriptor
			Subject       ocispec.Descriptor `json:"subject"`
			Annotations   map[string]string  `json:"annotations"`
		}
		if err := json.Unmarshal(refs[i].RawManifest(), &m); err != nil {
			t.Fatal(err)
		}
		switch {
		case m.SchemaVersion != 2 || m.MediaType != "application/vnd.oci.image.manifest.v1+json":
			t.Errorf("referrer %d: schema %d, media type %s", i, m.SchemaVersion, m.MediaType)
		case m.ArtifactType != "application/vnd.dev.sigstore.bundle.v0.3+json" || m.Config.MediaType != "application/vnd.oci.empty.v1+json" || m.Config.Size != 2:
			t.Errorf("referrer %d: artifactType %s, config %+v", i, m.ArtifactType, m.Config)
		case m.Subject.Digest != w.subject.Digest || m.Subject.MediaType != w.subject.MediaType || m.Subject.Size != w.subject.Size:
			t.Errorf("referrer %d: subject %+v, want %+v", i, m.Subject, w.subject)
		case m.Annotations["dev.sigstore.bundle.content"] != "dsse-envelope" || m.Annotations["dev.sigstore.bundle.predicateType"] != w.typ:
			t.Errorf("referrer %d: annotations %v, want the %s predicate type", i, m.Annotations, w.typ)
		case len(m.Layers) != 1 || m.Layers[0].MediaType != "application/vnd.dev.sigstore.bundle.v0.3+json":
			t.Fatalf("referrer %d: layers %+v", i, m.Layers)
		}
		if _, err := time.Parse(time.RFC3339, m.Annotations["org.opencontainers.image.created"]); err != nil {
			t.Errorf("referrer %d: created: %v", i, err)
		}
		data, err := readBlob(context.Background(), refs[i].Blobs()[1], maxEnvelope)
		if err != nil || digest.FromBytes(data) != m.Layers[0].Digest {
			t.Fatalf("referrer %d: layer %s: %v", i, m.Layers[0].Digest, err)
		}
		checkBundleStatement(t, &key.PublicKey, data, w.subject.Digest, w.typ, w.pred)
	}
}

// checkBundleStatement checks that data is a sigstore bundle v0.3 whose
// envelope key signed an in-toto v1 statement of typ about d, holding
// pred.
func checkBundleStatement(t *testing.T, key *ecdsa.PublicKey, data []byte, d digest.Digest, typ string, pred []byte) {
	t.Helper()
	var b struct {
		MediaType    string `json:"mediaType"`
		DSSEEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig string `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(data, &b); err != nil || b.MediaType != "application/vnd.dev.sigstore.bundle.v0.3+json" {
		t.Fatalf("bundle %s: %v", data, err)
	}
	env := b.DSSEEnvelope
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil || env.PayloadType != "application/vnd.in-toto+json" || len(env.Signatures) != 1 {
		t.Fatalf("envelope %+v: %v", env, err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("DSSEv1 %d %s %d %s", len(env.PayloadType), env.PayloadType, len(payload), payload)))
	if !ecdsa.VerifyASN1(key, sum[:], sig) {
		t.Error("the envelope's signature is not ECDSA-SHA256 over DSSE's PAE of the payload")
	}
	var st struct {
		Type    string `json:"_type"`
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	about := false
	for _, s := range st.Subject {
		about = about || s.Digest["sha256"] == d.Encoded()
	}
	if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != typ || !about || !bytes.Equal(st.Predicate, pred) {
		t.Errorf("statement %s: want in-toto v1 of %s about %s with the predicate's bytes", payload, typ, d)
	}
}

// TestAttestLayout attests an index in a layout and checks
// VerifyLayoutAttestation, and that attestation bundles are not taken
// for signatures.
func TestAttestLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix := imagetest.FixtureIndex(t)
	if err := layout.Write(ctx, dir, ix, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	key := testKey(t)
	img := ix.Images()[0]
	stmts := []Statement{
		{Subjects: []Subject{{"app", ix.Digest()}, {"app", img.Digest()}}, PredicateType: PredicateSLSAProvenance1, Predicate: []byte(`{"n":1}`)},
		{Subjects: []Subject{{"app", img.Digest()}}, PredicateType: PredicateSPDX, Predicate: []byte(`{"n":2}`)},
	}
	got, err := AttestLayout(ctx, dir, ix, key, stmts)
	if err != nil || len(got) != 2 || got[0] != ix.Digest() || got[1] != img.Digest() {
		t.Fatalf("attested %v, %v; want the index then the image", got, err)
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	pub := &key.PublicKey
	// Only attestations: not a signature, whatever the key.
	if _, err := VerifyLayout(ctx, l, ix, pub, Options{}); !errors.Is(err, ErrNoSignature) {
		t.Errorf("attested, unsigned: %v, want ErrNoSignature", err)
	}
	for _, c := range []struct {
		a    image.Artifact
		typ  string
		want error
	}{
		{ix, PredicateSLSAProvenance1, nil},
		{img, PredicateSLSAProvenance1, nil},
		{img, PredicateSPDX, nil},
		{ix, PredicateSPDX, ErrNoAttestation},
		{ix.Images()[1], PredicateSLSAProvenance1, ErrNoAttestation},
	} {
		stmts, err := VerifyLayoutAttestation(ctx, l, c.a, pub, c.typ)
		if !errors.Is(err, c.want) || (err == nil) != (len(stmts) == 1) {
			t.Errorf("%s %s: %d statements, %v; want %v", c.a.Digest(), c.typ, len(stmts), err, c.want)
		}
	}
	if _, err := VerifyLayoutAttestation(ctx, l, img, &testKey(t).PublicKey, PredicateSPDX); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v, want ErrWrongKey", err)
	}
	if _, err := AttestLayout(ctx, dir, img, key, stmts); err == nil {
		t.Error("a statement about the index, attested for the image alone: no error")
	}
}

// TestAttestationBundleTampering stores a's attestation bundle as b's,
// and a changed one as a's, in a registry.
func TestAttestationBundleTampering(t *testing.T) {
	ctx := context.Background()
	a := imagetest.Image(t, imagetest.Spec{Seed: 41})
	b := imagetest.Image(t, imagetest.Spec{Seed: 42})
	ref, opts := push(t, a)
	if _, err := remote.Push(ctx, strings.TrimSuffix(ref, ":v1")+":b", b, opts.Remote); err != nil {
		t.Fatal(err)
	}
	key := testKey(t)
	bundle, err := NewAttestationBundle(key, Statement{Subjects: []Subject{{"app", a.Digest()}}, PredicateType: PredicateSPDX, Predicate: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	put := func(subject image.Artifact, b Bundle) {
		r, err := BundleReferrer(subject.Descriptor(), b, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := remote.PushReferrers(ctx, ref, []image.Artifact{r}, opts.Remote); err != nil {
			t.Fatal(err)
		}
	}
	put(b, bundle)
	if _, err := VerifyAttestation(ctx, ref, b.Digest(), &key.PublicKey, PredicateSPDX, opts); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("a's attestation stored as b's: %v, want ErrDigestMismatch", err)
	}
	var w bundleJSON
	if err := json.Unmarshal(bundle.Data, &w); err != nil {
		t.Fatal(err)
	}
	w.DSSEEnvelope.Payload = bytes.Replace(w.DSSEEnvelope.Payload, []byte(`{"n":1}`), []byte(`{"n":2}`), 1)
	changed, err := json.Marshal(w)
	if err != nil || bytes.Equal(changed, bundle.Data) {
		t.Fatalf("nothing changed: %v", err)
	}
	put(a, Bundle{Data: changed})
	if _, err := VerifyAttestation(ctx, ref, a.Digest(), &key.PublicKey, PredicateSPDX, opts); !errors.Is(err, ErrWrongKey) {
		t.Errorf("a changed statement: %v, want ErrWrongKey", err)
	}
	put(a, bundle)
	if _, err := VerifyAttestation(ctx, ref, a.Digest(), &key.PublicKey, PredicateSPDX, opts); err != nil {
		t.Errorf("the good one beside the changed one: %v", err)
	}
}
