package signature

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// push serves a on a new registry under REPO:v1 and returns its reference
// and the options to reach it.
func push(t *testing.T, a image.Artifact) (string, Options) {
	t.Helper()
	reg := registrytest.New(t, registrytest.Options{})
	opts := Options{Remote: remote.Options{InsecureAllowHTTP: true}}
	ref := reg.Host() + "/team/app:v1"
	if _, err := remote.Push(context.Background(), ref, a, opts.Remote); err != nil {
		t.Fatal(err)
	}
	return ref, opts
}

func TestSignVerifyIndex(t *testing.T) {
	ctx := context.Background()
	ix := imagetest.FixtureIndex(t)
	ref, opts := push(t, ix)
	key := testKey(t)
	signed, err := Sign(ctx, ref, ix, key, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []digest.Digest{ix.Digest()}
	for _, img := range ix.Images() {
		want = append(want, img.Digest())
	}
	if strings.Join(digestStrings(signed), " ") != strings.Join(digestStrings(want), " ") {
		t.Errorf("signed %v, want the index and each image: %v", signed, want)
	}
	pulled, err := remote.Pull(ctx, ref, opts.Remote)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Verify(ctx, ref, pulled, &key.PublicKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if p.Digest != want[i] || p.Reference != strings.TrimSuffix(ref, ":v1") {
			t.Errorf("payload %d = %+v, want digest %s in %s", i, p, want[i], strings.TrimSuffix(ref, ":v1"))
		}
	}
	other := testKey(t)
	_, err = Verify(ctx, ref, pulled, &other.PublicKey, opts)
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), ix.Digest().String()) {
		t.Errorf("another key: got %v, want ErrWrongKey naming %s", err, ix.Digest())
	}
}

// TestSignatureManifest checks the manifest under the .sig tag against
// the shape cosign writes and reads.
func TestSignatureManifest(t *testing.T) {
	ctx := context.Background()
	img := imagetest.Fixture(t, image.Platform{OS: "linux", Architecture: "amd64"})
	ref, opts := push(t, img)
	opts.Annotations = map[string]string{"build": "42"}
	if _, err := Sign(ctx, ref, img, testKey(t), opts); err != nil {
		t.Fatal(err)
	}
	repo := strings.TrimSuffix(ref, ":v1")
	tag := "sha256-" + img.Digest().Encoded() + ".sig"
	a, err := remote.Pull(ctx, repo+":"+tag, opts.Remote)
	if err != nil {
		t.Fatalf("no %s tag: %v", tag, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(a.RawManifest(), &m); err != nil {
		t.Fatal(err)
	}
	if m.MediaType != ocispec.MediaTypeImageManifest || m.Config.MediaType != ocispec.MediaTypeImageConfig || len(m.Layers) != 1 {
		t.Fatalf("manifest %s: want an OCI image manifest with an image config and one layer", a.RawManifest())
	}
	l := m.Layers[0]
	if l.MediaType != "application/vnd.dev.cosign.simplesigning.v1+json" || l.Annotations["dev.cosignproject.cosign/signature"] == "" {
		t.Errorf("layer %+v: want a simple-signing payload with the signature annotation", l)
	}
	sigs, err := ReadSignatures(ctx, a)
	if err != nil || len(sigs) != 1 {
		t.Fatalf("ReadSignatures: %d, %v", len(sigs), err)
	}
	want := `{"critical":{"identity":{"docker-reference":"` + repo + `"},"image":{"docker-manifest-digest":"` + img.Digest().String() +
		`"},"type":"cosign container image signature"},"optional":{"build":"42"}}`
	if string(sigs[0].Payload) != want {
		t.Errorf("payload\n%s\nwant\n%s", sigs[0].Payload, want)
	}
}

func TestSignAppends(t *testing.T) {
	ctx := context.Background()
	img := imagetest.Image(t, imagetest.Spec{Seed: 24})
	ref, opts := push(t, img)
	k1, k2 := testKey(t), testKey(t)
	for _, k := range []*ecdsaKey{k1, k2} {
		if _, err := Sign(ctx, ref, img, k, opts); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range []*ecdsaKey{k1, k2} {
		if _, err := VerifyDigest(ctx, ref, img.Digest(), &k.PublicKey, opts); err != nil {
			t.Errorf("key %d: %v", i+1, err)
		}
	}
	a, err := remote.Pull(ctx, strings.TrimSuffix(ref, ":v1")+":"+SignatureTag(img.Digest()), opts.Remote)
	if err != nil {
		t.Fatal(err)
	}
	if sigs, err := ReadSignatures(ctx, a); err != nil || len(sigs) != 2 {
		t.Errorf("the .sig manifest holds %d signatures (%v), want both", len(sigs), err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	imgA := imagetest.Image(t, imagetest.Spec{Seed: 25})
	imgB := imagetest.Image(t, imagetest.Spec{Seed: 26})
	ref, opts := push(t, imgA)
	repo := strings.TrimSuffix(ref, ":v1")
	if _, err := remote.Push(ctx, repo+":b", imgB, opts.Remote); err != nil {
		t.Fatal(err)
	}
	key := testKey(t)
	if _, err := VerifyDigest(ctx, ref, imgA.Digest(), &key.PublicKey, opts); !errors.Is(err, ErrNoSignature) {
		t.Errorf("unsigned: got %v, want ErrNoSignature", err)
	}
	if _, err := Sign(ctx, ref, imgA, key, opts); err != nil {
		t.Fatal(err)
	}
	sigA := readTag(t, repo+":"+SignatureTag(imgA.Digest()), opts)

	// A's signature stored as B's: the payload names A.
	putSignatures(t, repo+":"+SignatureTag(imgB.Digest()), opts, sigA)
	_, err := VerifyDigest(ctx, ref, imgB.Digest(), &key.PublicKey, opts)
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), imgB.Digest().String()) {
		t.Errorf("A's signature as B's: got %v, want ErrDigestMismatch naming B", err)
	}

	// A changed payload, with the signature of the original.
	changed := sigA
	changed.Payload = []byte(strings.Replace(string(sigA.Payload), `"optional":null`, `"optional":{"x":"y"}`, 1))
	if string(changed.Payload) == string(sigA.Payload) {
		t.Fatalf("payload %s: nothing changed", sigA.Payload)
	}
	putSignatures(t, repo+":"+SignatureTag(imgA.Digest()), opts, changed)
	if _, err := VerifyDigest(ctx, ref, imgA.Digest(), &key.PublicKey, opts); !errors.Is(err, ErrWrongKey) {
		t.Errorf("changed payload: got %v, want ErrWrongKey", err)
	}

	// The good signature back, and another key's beside it: the key
	// finds its own; the other key alone is refused.
	other := testKey(t)
	otherSig, err := NewSignature(other, Payload{Reference: repo, Digest: imgA.Digest()})
	if err != nil {
		t.Fatal(err)
	}
	putSignatures(t, repo+":"+SignatureTag(imgA.Digest()), opts, otherSig, sigA)
	if _, err := VerifyDigest(ctx, ref, imgA.Digest(), &key.PublicKey, opts); err != nil {
		t.Errorf("good signature after another key's: %v", err)
	}
	putSignatures(t, repo+":"+SignatureTag(imgA.Digest()), opts, otherSig)
	if _, err := VerifyDigest(ctx, ref, imgA.Digest(), &key.PublicKey, opts); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key's signature: got %v, want ErrWrongKey", err)
	}
}

func TestVerifyAnnotations(t *testing.T) {
	ctx := context.Background()
	img := imagetest.Image(t, imagetest.Spec{Seed: 27})
	ref, opts := push(t, img)
	key := testKey(t)
	opts.Annotations = map[string]string{"env": "prod"}
	if _, err := Sign(ctx, ref, img, key, opts); err != nil {
		t.Fatal(err)
	}
	p, err := VerifyDigest(ctx, ref, img.Digest(), &key.PublicKey, opts)
	if err != nil || p.Optional["env"] != "prod" {
		t.Errorf("matching annotations: %+v, %v", p, err)
	}
	opts.Annotations = map[string]string{"env": "dev"}
	if _, err := VerifyDigest(ctx, ref, img.Digest(), &key.PublicKey, opts); !errors.Is(err, ErrWrongKey) {
		t.Errorf("other annotation value: got %v, want ErrWrongKey", err)
	}
}

type ecdsaKey = ecdsa.PrivateKey

func readTag(t *testing.T, tag string, opts Options) Signature {
	t.Helper()
	a, err := remote.Pull(context.Background(), tag, opts.Remote)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := ReadSignatures(context.Background(), a)
	if err != nil || len(sigs) != 1 {
		t.Fatalf("%s: %d signatures, %v", tag, len(sigs), err)
	}
	return sigs[0]
}

func putSignatures(t *testing.T, tag string, opts Options, sigs ...Signature) {
	t.Helper()
	a, err := AppendSignatures(nil, sigs...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Push(context.Background(), tag, a, opts.Remote); err != nil {
		t.Fatal(err)
	}
}

func digestStrings(ds []digest.Digest) []string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.String()
	}
	return s
}

// TestPull: Pull returns what is signed, the whole index or one
// platform's image, and nothing where a signature is missing.
func TestPullVerifiedRefuses(t *testing.T) {
	ctx := context.Background()
	ix := imagetest.FixtureIndex(t)
	ref, opts := push(t, ix)
	key := testKey(t)
	if _, err := PullVerified(ctx, ref, image.Platform{}, &key.PublicKey, opts); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("unsigned: got %v, want ErrNoSignature", err)
	}
	if _, err := Sign(ctx, ref, ix, key, opts); err != nil {
		t.Fatal(err)
	}
	a, err := PullVerified(ctx, ref, image.Platform{}, &key.PublicKey, opts)
	if err != nil || a.Digest() != ix.Digest() {
		t.Fatalf("signed index: %v, %v; want %s", a, err, ix.Digest())
	}
	want := ix.Images()[len(ix.Images())-1]
	a, err = PullVerified(ctx, ref, want.Platform(), &key.PublicKey, opts)
	if err != nil || a.Digest() != want.Digest() {
		t.Fatalf("%s: %v, %v; want the image %s", want.Platform(), a, err, want.Digest())
	}
	other := testKey(t)
	if _, err := PullVerified(ctx, ref, want.Platform(), &other.PublicKey, opts); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: got %v, want ErrWrongKey", err)
	}
}
