package signature

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/remote"
	"github.com/opencontainers/go-digest"
)

// TestCosignAttestationFixtures checks the attestation format against
// what cosign wrote, for machines without cosign: the sha256-HEX.att
// manifest that cosign v2.6.5, then v3.1.3 (--new-bundle-format=false),
// attest --key --tlog-upload=false --type slsaprovenance1 wrote for an
// image of one empty layer (sha256:fad8cc…), and its two envelopes
// (v2's and v3's field orders differ), signed by cosign-att.pub's key.
func TestCosignAttestationFixtures(t *testing.T) {
	read := func(name string) []byte { return testdata(t, name) }
	pub, err := ParsePublicKey(read("cosign-att.pub"))
	if err != nil {
		t.Fatal(err)
	}
	subject := digest.Digest("sha256:fad8cce45038fd90926eb171a9a8b778b4f8e3b6ca014ec11d8350246059e604")
	var atts []Attestation
	for _, name := range []string{"cosign-att-envelope-0.json", "cosign-att-envelope-1.json"} {
		a := Attestation{PredicateType: PredicateSLSAProvenance1, Envelope: read(name)}
		s, err := a.Verify(pub, subject)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.PredicateType != PredicateSLSAProvenance1 || !bytes.Contains(s.Predicate, []byte(`"buildType":"https://example.com/t"`)) {
			t.Errorf("%s: statement %+v %s", name, s, s.Predicate)
		}
		if _, err := a.Verify(pub, digest.FromString("another manifest")); !errors.Is(err, ErrDigestMismatch) {
			t.Errorf("%s for another digest: %v, want ErrDigestMismatch", name, err)
		}
		if _, err := a.Verify(&testKey(t).PublicKey, subject); !errors.Is(err, ErrWrongKey) {
			t.Errorf("%s with another key: %v, want ErrWrongKey", name, err)
		}
		atts = append(atts, a)
	}
	m, err := AppendAttestations(nil, atts[0])
	if err != nil {
		t.Fatal(err)
	}
	if m, err = AppendAttestations(m, atts[1]); err != nil {
		t.Fatal(err)
	}
	if want := read("cosign-att-manifest.json"); string(m.RawManifest()) != string(bytes.TrimSpace(want)) {
		t.Errorf("attestation manifest\n%s\ncosign's\n%s", m.RawManifest(), want)
	}
	back, err := ReadAttestations(context.Background(), m)
	if err != nil || len(back) != 2 || !bytes.Equal(back[1].Envelope, atts[1].Envelope) || back[1].PredicateType != PredicateSLSAProvenance1 {
		t.Errorf("ReadAttestations: %d, %v", len(back), err)
	}
}

// TestStatementKeepsPredicateBytes checks that a predicate goes into the
// statement byte for byte, indentation included, and comes back so.
func TestStatementKeepsPredicateBytes(t *testing.T) {
	pred := []byte("{\n  \"spdxVersion\": \"SPDX-2.3\",\n  \"name\": \"a<b>&c\"\n}")
	s := Statement{Subjects: []Subject{{"r", digest.FromString("x")}}, PredicateType: PredicateSPDX, Predicate: pred}
	data, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, pred) || !json.Valid(data) {
		t.Fatalf("statement %s does not hold the predicate's bytes", data)
	}
	var back Statement
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Predicate, pred) || back.Subjects[0] != s.Subjects[0] {
		t.Errorf("read back %+v", back)
	}
	if _, err := (Statement{PredicateType: PredicateSPDX, Predicate: []byte("{")}).MarshalJSON(); err == nil {
		t.Error("a predicate that is not JSON: no error")
	}
}

// TestAttestVerifyAttestation attests an index and an image in each
// form and checks what VerifyAttestation finds, in each.
func TestAttestVerifyAttestation(t *testing.T) {
	for _, f := range []Format{FormatTag, FormatBundle} {
		t.Run(f.String(), func(t *testing.T) { attestVerify(t, f) })
	}
}

func attestVerify(t *testing.T, f Format) {
	ctx := context.Background()
	ix := imagetest.FixtureIndex(t)
	ref, opts := push(t, ix)
	opts.Format = f
	key := testKey(t)
	img := ix.Images()[0]
	prov := Statement{
		Subjects:      []Subject{{"app", ix.Digest()}, {"app", img.Digest()}},
		PredicateType: PredicateSLSAProvenance1,
		Predicate:     []byte(`{"buildDefinition":{}}`),
	}
	sbom := Statement{Subjects: []Subject{{"app", img.Digest()}}, PredicateType: PredicateSPDX, Predicate: []byte(`{"spdxVersion":"SPDX-2.3"}`)}
	got, err := Attest(ctx, ref, ix, key, []Statement{prov, sbom}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != ix.Digest() || got[1] != img.Digest() {
		t.Errorf("attested %v, want the index then the image", got)
	}
	_, tagErr := remote.Pull(ctx, strings.TrimSuffix(ref, ":v1")+":"+AttestationTag(img.Digest()), opts.Remote)
	if tagged := tagErr == nil; tagged != (f == FormatTag) {
		t.Errorf("format %s: a tag %s: %v", f, AttestationTag(img.Digest()), tagErr)
	}
	pub := &key.PublicKey
	for _, c := range []struct {
		d     digest.Digest
		typ   string
		n     int
		error error
	}{
		{ix.Digest(), PredicateSLSAProvenance1, 1, nil},
		{img.Digest(), PredicateSLSAProvenance1, 1, nil},
		{img.Digest(), PredicateSPDX, 1, nil},
		{ix.Digest(), PredicateSPDX, 0, ErrNoAttestation},
		{ix.Images()[1].Digest(), PredicateSPDX, 0, ErrNoAttestation},
	} {
		stmts, err := VerifyAttestation(ctx, ref, c.d, pub, c.typ, opts)
		if !errors.Is(err, c.error) || len(stmts) != c.n {
			t.Errorf("%s %s: %d statements, %v; want %d, %v", c.d, c.typ, len(stmts), err, c.n, c.error)
		}
	}
	if _, err := VerifyAttestation(ctx, ref, img.Digest(), &testKey(t).PublicKey, PredicateSPDX, opts); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v, want ErrWrongKey", err)
	}
	other := imagetest.Image(t, imagetest.Spec{Seed: 77})
	if _, err := Attest(ctx, ref, ix, key, []Statement{{Subjects: []Subject{{"x", other.Digest()}}, PredicateType: PredicateSPDX, Predicate: []byte("{}")}}, opts); err == nil {
		t.Error("a statement about a manifest the index does not list: no error")
	}

	// Attesting again adds; both verify.
	if _, err := Attest(ctx, ref, ix, key, []Statement{sbom}, opts); err != nil {
		t.Fatal(err)
	}
	if stmts, err := VerifyAttestation(ctx, ref, img.Digest(), pub, PredicateSPDX, opts); err != nil || len(stmts) != 2 {
		t.Errorf("after a second attest: %d statements, %v", len(stmts), err)
	}
}

// TestAttestationTampering checks that a changed statement and an
// attestation stored for another manifest are refused.
func TestAttestationTampering(t *testing.T) {
	ctx := context.Background()
	a := imagetest.Image(t, imagetest.Spec{Seed: 301})
	b := imagetest.Image(t, imagetest.Spec{Seed: 302})
	ref, opts := push(t, a)
	repo := ref[:len(ref)-len(":v1")]
	if _, err := remote.Push(ctx, repo+":b", b, opts.Remote); err != nil {
		t.Fatal(err)
	}
	key := testKey(t)
	att, err := NewAttestation(key, Statement{Subjects: []Subject{{"app", a.Digest()}}, PredicateType: PredicateSPDX, Predicate: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	put := func(d digest.Digest, att Attestation) {
		m, err := AppendAttestations(nil, att)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := remote.Push(ctx, repo+":"+AttestationTag(d), m, opts.Remote); err != nil {
			t.Fatal(err)
		}
	}
	put(b.Digest(), att)
	if _, err := VerifyAttestation(ctx, ref, b.Digest(), &key.PublicKey, PredicateSPDX, opts); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("a's attestation stored as b's: %v, want ErrDigestMismatch", err)
	}
	var env envelope
	if err := json.Unmarshal(att.Envelope, &env); err != nil {
		t.Fatal(err)
	}
	env.Payload = bytes.Replace(env.Payload, []byte(`{"n":1}`), []byte(`{"n":2}`), 1)
	changed := att
	if changed.Envelope, err = json.Marshal(env); err != nil {
		t.Fatal(err)
	}
	put(a.Digest(), changed)
	if _, err := VerifyAttestation(ctx, ref, a.Digest(), &key.PublicKey, PredicateSPDX, opts); !errors.Is(err, ErrWrongKey) {
		t.Errorf("a changed statement: %v, want ErrWrongKey", err)
	}
}

func TestPredicateType(t *testing.T) {
	for name, want := range map[string]string{
		"slsaprovenance1":            PredicateSLSAProvenance1,
		"spdxjson":                   PredicateSPDX,
		"https://example.com/pred/1": "https://example.com/pred/1",
		"nonsense":                   "",
	} {
		got, err := PredicateType(name)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("PredicateType(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}
