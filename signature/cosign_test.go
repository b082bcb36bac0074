package signature

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestCosignFixtures checks the formats against files cosign v2.6.5 wrote,
// for machines without cosign (interop/cosign_test.go runs it): a key
// pair from cosign generate-key-pair (COSIGN_PASSWORD=minimage-test), and
// the sha256-HEX.sig manifest and payload of cosign sign --key cosign.key
// --tlog-upload=false -a ci=yes of imagetest.Fixture(linux/amd64).
func TestCosignFixtures(t *testing.T) {
	t.Parallel() // scrypt (N=2^16) takes seconds under -race
	read := func(name string) []byte { return testdata(t, name) }
	priv, err := ParsePrivateKey(read("cosign.key"), []byte("minimage-test"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(read("cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if !priv.PublicKey.Equal(pub) {
		t.Error("cosign.key and cosign.pub are not a pair")
	}
	if _, err := ParsePrivateKey(read("cosign.key"), []byte("other")); !errors.Is(err, ErrPassword) {
		t.Errorf("cosign.key with a wrong password: %v", err)
	}

	manifest, payload := read("cosign-sig-manifest.json"), read("cosign-sig-payload.json")
	var m ocispec.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("cosign's manifest: %v, %d layers", err, len(m.Layers))
	}
	sig, err := base64.StdEncoding.DecodeString(m.Layers[0].Annotations[AnnotationSignature])
	if err != nil {
		t.Fatal(err)
	}
	img := imagetest.Fixture(t, image.Platform{OS: "linux", Architecture: "amd64"})
	s := Signature{Payload: payload, Signature: sig}
	p, err := s.Verify(pub, img.Digest())
	if err != nil {
		t.Fatalf("cosign's signature: %v", err)
	}
	if p.Optional["ci"] != "yes" {
		t.Errorf("payload %+v: want ci=yes in optional", p)
	}
	if _, err := s.Verify(&testKey(t).PublicKey, img.Digest()); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v, want ErrWrongKey", err)
	}

	// The same payload and signature make the same bytes here.
	if mine, err := json.Marshal(p); err != nil || string(mine) != string(payload) {
		t.Errorf("payload\n%s\ncosign's\n%s", mine, payload)
	}
	a, err := AppendSignatures(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.RawManifest()) != string(manifest) {
		t.Errorf("signature manifest\n%s\ncosign's\n%s", a.RawManifest(), manifest)
	}
}

// testdata returns the file name of testdata/, which cosign wrote.
func testdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
