package signature

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
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

// TestCosignBundleFixture checks the bundle form against files cosign
// v3.1.3 wrote, for machines without cosign: the referrer manifest and
// the bundle of cosign sign --key testdata/cosign.key
// --tlog-upload=false --use-signing-config=false -a ci=yes of
// imagetest.Fixture(linux/amd64), in a registry with the referrers API.
func TestCosignBundleFixture(t *testing.T) {
	read := func(name string) []byte { return testdata(t, name) }
	pub, err := ParsePublicKey(read("cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	img := imagetest.Fixture(t, image.Platform{OS: "linux", Architecture: "amd64"})
	b := Bundle{Data: read("cosign-bundle.json")}
	p, err := b.Verify(pub, img.Digest())
	if err != nil {
		t.Fatalf("cosign's bundle: %v", err)
	}
	if p.Digest != img.Digest() || p.Optional["ci"] != "yes" {
		t.Errorf("payload %+v: want %s with ci=yes", p, img.Digest())
	}
	if _, err := b.Verify(&testKey(t).PublicKey, img.Digest()); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v, want ErrWrongKey", err)
	}
	other := imagetest.Image(t, imagetest.Spec{Seed: 30}).Digest()
	if _, err := b.Verify(pub, other); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("another digest: %v, want ErrDigestMismatch", err)
	}

	// BundleReferrer stores cosign's bundle in cosign's manifest, byte
	// for byte, given the time cosign recorded.
	manifest := read("cosign-bundle-manifest.json")
	var m ocispec.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	created, err := time.Parse(time.RFC3339, m.Annotations[ocispec.AnnotationCreated])
	if err != nil {
		t.Fatal(err)
	}
	r, err := BundleReferrer(img.Descriptor(), b, created)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.RawManifest(), manifest) {
		t.Errorf("referrer manifest\n%s\ncosign's\n%s", r.RawManifest(), manifest)
	}
	bs, err := ReadBundles(context.Background(), []image.Artifact{r})
	if err != nil || len(bs) != 1 || !bytes.Equal(bs[0].Data, b.Data) {
		t.Errorf("ReadBundles: %d bundles, %v; want cosign's", len(bs), err)
	}
}

// TestBundleFormat checks what NewBundle writes against the sigstore
// bundle v0.3 format (protobuf-specs' Bundle in its JSON form, with a
// DSSE envelope and a public key hint) and the in-toto statement v1
// cosign signs, reading it as a generic JSON document.
func TestBundleFormat(t *testing.T) {
	key := testKey(t)
	d := imagetest.Image(t, imagetest.Spec{Seed: 31}).Digest()
	b, err := NewBundle(key, d, map[string]string{"env": "prod"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MediaType            string `json:"mediaType"`
		VerificationMaterial map[string]struct {
			Hint string `json:"hint"`
		} `json:"verificationMaterial"`
		DSSEEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig string `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	dec := json.NewDecoder(bytes.NewReader(b.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("bundle %s: %v", b.Data, err)
	}
	if doc.MediaType != "application/vnd.dev.sigstore.bundle.v0.3+json" {
		t.Errorf("mediaType %q", doc.MediaType)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	if len(doc.VerificationMaterial) != 1 || doc.VerificationMaterial["publicKey"].Hint != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("verificationMaterial %+v: want only publicKey with the hint base64(sha256(DER))", doc.VerificationMaterial)
	}
	env := doc.DSSEEnvelope
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil || env.PayloadType != "application/vnd.in-toto+json" || len(env.Signatures) != 1 {
		t.Fatalf("envelope %+v: %v", env, err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	signed := sha256.Sum256([]byte(fmt.Sprintf("DSSEv1 %d %s %d %s", len(env.PayloadType), env.PayloadType, len(payload), payload)))
	if !ecdsa.VerifyASN1(&key.PublicKey, signed[:], sig) {
		t.Error("the envelope's signature is not ECDSA-SHA256 over DSSE's PAE of the payload")
	}
	var st map[string]any
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	wantSt := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"predicateType": "https://sigstore.dev/cosign/sign/v1",
		"predicate":     map[string]any{},
		"subject": []any{map[string]any{
			"digest":      map[string]any{"sha256": d.Encoded()},
			"annotations": map[string]any{"env": "prod"},
		}},
	}
	if fmt.Sprint(st) != fmt.Sprint(wantSt) {
		t.Errorf("statement\n%v\nwant\n%v", st, wantSt)
	}
	// The same keys, at every level, as cosign's bundle.
	cosign, err := os.ReadFile("testdata/cosign-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jsonPaths(t, b.Data), jsonPaths(t, cosign); !slices.Equal(got, want) {
		t.Errorf("bundle fields %v\ncosign's %v", got, want)
	}
}

// jsonPaths returns the paths of the object keys in the JSON data,
// sorted.
func jsonPaths(t *testing.T, data []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				out = append(out, prefix+"."+k)
				walk(prefix+"."+k, c)
			}
		case []any:
			for _, c := range v {
				walk(prefix+"[]", c)
			}
		}
	}
	walk("", v)
	slices.Sort(out)
	return slices.Compact(out)
}

func TestBundleRefuses(t *testing.T) {
	key := testKey(t)
	d := imagetest.Image(t, imagetest.Spec{Seed: 32}).Digest()
	b, err := NewBundle(key, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]any
	if err := json.Unmarshal(b.Data, &w); err != nil {
		t.Fatal(err)
	}
	change := func(f func(w map[string]any)) Bundle {
		var c map[string]any
		_ = json.Unmarshal(b.Data, &c)
		f(c)
		data, _ := json.Marshal(c)
		return Bundle{Data: data}
	}
	env := func(w map[string]any) map[string]any { return w["dsseEnvelope"].(map[string]any) }
	otherDigest := imagetest.Image(t, imagetest.Spec{Seed: 33}).Digest()
	tests := []struct {
		name string
		b    Bundle
		want error
	}{
		{"changed payload", change(func(w map[string]any) {
			p, _ := base64.StdEncoding.DecodeString(env(w)["payload"].(string))
			env(w)["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(p, []byte(d.Encoded()), []byte(otherDigest.Encoded()), 1))
		}), ErrWrongKey},
		{"no signature", change(func(w map[string]any) { env(w)["signatures"] = []any{} }), ErrWrongKey},
		{"another media type", change(func(w map[string]any) { w["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1" }), ErrCorrupt},
		{"message signature", change(func(w map[string]any) { delete(w, "dsseEnvelope"); w["messageSignature"] = map[string]any{} }), ErrCorrupt},
		{"another payload type", change(func(w map[string]any) { env(w)["payloadType"] = "text/plain" }), ErrCorrupt},
		{"not JSON", Bundle{Data: []byte("{")}, ErrCorrupt},
	}
	for _, tt := range tests {
		if _, err := tt.b.Verify(&key.PublicKey, d); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := b.Verify(&key.PublicKey, otherDigest); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("another digest: got %v, want ErrDigestMismatch", err)
	}
	// An attestation bundle by the key is not a signature.
	att, err := NewAttestation(key, Statement{Subjects: []Subject{{Digest: d}}, PredicateType: PredicateSPDX, Predicate: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	notSig := change(func(w map[string]any) {
		var e map[string]any
		_ = json.Unmarshal(att.Envelope, &e)
		w["dsseEnvelope"] = e
	})
	if _, err := notSig.Verify(&key.PublicKey, d); !errors.Is(err, ErrCorrupt) {
		t.Errorf("an SPDX attestation as a signature: got %v, want ErrCorrupt", err)
	}
}

func TestSignVerifyBundles(t *testing.T) {
	ctx := context.Background()
	ix := imagetest.FixtureIndex(t)
	ref, opts := push(t, ix)
	repo := strings.TrimSuffix(ref, ":v1")
	key := testKey(t)
	opts.Format = FormatBundle
	opts.Annotations = map[string]string{"env": "prod"}
	signed, err := Sign(ctx, ref, ix, key, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(signed) != 1+len(ix.Images()) {
		t.Errorf("signed %v, want the index and its %d images", signed, len(ix.Images()))
	}
	// Referrers, no tag.
	if _, err := remote.Pull(ctx, repo+":"+SignatureTag(ix.Digest()), opts.Remote); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("tag %s: %v, want none", SignatureTag(ix.Digest()), err)
	}
	for _, d := range signed {
		ds, err := remote.Referrers(ctx, ref, d, MediaTypeBundle, opts.Remote)
		if err != nil || len(ds) != 1 || ds[0].ArtifactType != MediaTypeBundle {
			t.Errorf("referrers of %s: %+v, %v; want one bundle", d, ds, err)
		}
	}
	verifyOpts := Options{Remote: opts.Remote, Annotations: opts.Annotations}
	ps, err := Verify(ctx, ref, ix, &key.PublicKey, verifyOpts)
	if err != nil || len(ps) != len(signed) {
		t.Fatalf("verify: %d payloads, %v", len(ps), err)
	}
	for i, p := range ps {
		if p.Digest != signed[i] || p.Optional["env"] != "prod" {
			t.Errorf("payload %d: %+v, want %s with env=prod", i, p, signed[i])
		}
	}
	verifyOpts.Annotations = map[string]string{"env": "dev"}
	if _, err := VerifyDigest(ctx, ref, ix.Digest(), &key.PublicKey, verifyOpts); !errors.Is(err, ErrWrongKey) {
		t.Errorf("other annotation value: got %v, want ErrWrongKey", err)
	}
	_, err = VerifyDigest(ctx, ref, ix.Digest(), &testKey(t).PublicKey, Options{Remote: opts.Remote})
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), ix.Digest().String()) {
		t.Errorf("another key: got %v, want ErrWrongKey naming %s", err, ix.Digest())
	}
}

// TestVerifyBundleForAnotherDigest stores a bundle for one image as a
// referrer of another.
func TestVerifyBundleForAnotherDigest(t *testing.T) {
	ctx := context.Background()
	imgA := imagetest.Image(t, imagetest.Spec{Seed: 34})
	imgB := imagetest.Image(t, imagetest.Spec{Seed: 35})
	ref, opts := push(t, imgA)
	if _, err := remote.Push(ctx, strings.TrimSuffix(ref, ":v1")+":b", imgB, opts.Remote); err != nil {
		t.Fatal(err)
	}
	key := testKey(t)
	bA, err := NewBundle(key, imgA.Digest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := BundleReferrer(imgB.Descriptor(), bA, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.PushReferrers(ctx, ref, []image.Artifact{r}, opts.Remote); err != nil {
		t.Fatal(err)
	}
	_, err = VerifyDigest(ctx, ref, imgB.Digest(), &key.PublicKey, opts)
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), imgB.Digest().String()) {
		t.Errorf("A's bundle as B's: got %v, want ErrDigestMismatch naming B", err)
	}
	_, err = VerifyDigest(ctx, ref, imgA.Digest(), &key.PublicKey, opts)
	if !errors.Is(err, ErrNoSignature) || !strings.Contains(err.Error(), "bundle") {
		t.Errorf("unsigned A: got %v, want ErrNoSignature saying no bundle either", err)
	}
}

func TestSignVerifyLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix := imagetest.FixtureIndex(t)
	other := imagetest.Image(t, imagetest.Spec{Seed: 36})
	if err := layout.Write(ctx, dir, ix, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	if err := layout.Write(ctx, dir, other, layout.Options{Tags: []string{"other"}}); err != nil {
		t.Fatal(err)
	}
	key := testKey(t)
	verify := func(a image.Artifact, k *ecdsa.PrivateKey) ([]Payload, error) {
		l, err := layout.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		return VerifyLayout(ctx, l, a, &k.PublicKey, Options{})
	}
	if _, err := verify(ix, key); !errors.Is(err, ErrNoSignature) || !strings.Contains(err.Error(), ix.Digest().String()) {
		t.Errorf("unsigned: got %v, want ErrNoSignature naming %s", err, ix.Digest())
	}
	signed, err := SignLayout(ctx, dir, ix, key, Options{Format: FormatTag})
	if err != nil {
		t.Fatal(err)
	}
	want := []digest.Digest{ix.Digest()}
	for _, img := range ix.Images() {
		want = append(want, img.Digest())
	}
	if !slices.Equal(signed, want) {
		t.Errorf("signed %v, want %v", signed, want)
	}
	if ps, err := verify(ix, key); err != nil || len(ps) != len(want) {
		t.Errorf("signed layout: %d payloads, %v", len(ps), err)
	}
	if _, err := verify(ix, testKey(t)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: got %v, want ErrWrongKey", err)
	}
	if _, err := verify(other, key); !errors.Is(err, ErrNoSignature) {
		t.Errorf("the layout's unsigned image: got %v, want ErrNoSignature", err)
	}
	// The tags stay as they were: the referrers are untagged.
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := l.Artifact(ctx, "v1"); err != nil || a.Digest() != ix.Digest() {
		t.Errorf("v1 after signing: %v, %v", a, err)
	}
}
