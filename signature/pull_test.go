package signature

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
)

func TestPullVerified(t *testing.T) {
	ctx := context.Background()
	ix := imagetest.FixtureIndex(t)
	ref, opts := push(t, ix)
	key := testKey(t)
	if _, err := PullVerified(ctx, ref, image.Platform{}, &key.PublicKey, opts); !errors.Is(err, ErrNoSignature) {
		t.Errorf("unsigned: got %v, want ErrNoSignature", err)
	}
	if _, err := Sign(ctx, ref, ix, key, opts); err != nil {
		t.Fatal(err)
	}
	all, err := PullVerified(ctx, ref, image.Platform{}, &key.PublicKey, opts)
	if err != nil || all.Digest() != ix.Digest() {
		t.Fatalf("signed index, no platform: got %v, %v; want the index %s", all, err, ix.Digest())
	}
	want := ix.Images()[1]
	got, err := PullVerified(ctx, ref, want.Platform(), &key.PublicKey, opts)
	if err != nil || got.Digest() != want.Digest() {
		t.Fatalf("signed index, platform %s: got %v, %v; want the image %s", want.Platform(), got, err, want.Digest())
	}
	// The index signed, but the image for p signed by another key only.
	other := testKey(t)
	s, err := NewSignature(other, Payload{Reference: strings.TrimSuffix(ref, ":v1"), Digest: want.Digest()})
	if err != nil {
		t.Fatal(err)
	}
	putSignatures(t, strings.TrimSuffix(ref, ":v1")+":"+SignatureTag(want.Digest()), opts, s)
	_, err = PullVerified(ctx, ref, want.Platform(), &key.PublicKey, opts)
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), want.Digest().String()) {
		t.Errorf("image signed by another key: got %v, want ErrWrongKey naming %s", err, want.Digest())
	}
}

func TestVerifyReference(t *testing.T) {
	ctx := context.Background()
	ix := imagetest.FixtureIndex(t)
	ref, opts := push(t, ix)
	key := testKey(t)
	if _, err := VerifyReference(ctx, ref, &key.PublicKey, nil, opts); !errors.Is(err, ErrNoSignature) {
		t.Errorf("unsigned: got %v, want ErrNoSignature", err)
	}
	if _, err := Sign(ctx, ref, ix, key, opts); err != nil {
		t.Fatal(err)
	}
	v, err := VerifyReference(ctx, ref, &key.PublicKey, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantBlobs, err := image.Verify(ctx, ix)
	if err != nil {
		t.Fatal(err)
	}
	if v.Repository != strings.TrimSuffix(ref, ":v1") || v.Artifact.Digest() != ix.Digest() || len(v.Payloads) != 1+len(ix.Images()) || v.Blobs != wantBlobs {
		t.Errorf("got %s, %s, %d payloads, %d blobs; want %s, %s, %d, %d", v.Repository, v.Artifact.Digest(), len(v.Payloads), v.Blobs,
			strings.TrimSuffix(ref, ":v1"), ix.Digest(), 1+len(ix.Images()), wantBlobs)
	}
	// An attestation asked for and not there; then there.
	if _, err := VerifyReference(ctx, ref, &key.PublicKey, []string{PredicateSPDX}, opts); !errors.Is(err, ErrNoAttestation) {
		t.Errorf("no attestation: got %v, want ErrNoAttestation", err)
	}
	st := Statement{Subjects: []Subject{{"app", ix.Digest()}}, PredicateType: PredicateSPDX, Predicate: []byte(`{"spdxVersion":"SPDX-2.3"}`)}
	if _, err := Attest(ctx, ref, ix, key, []Statement{st}, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyReference(ctx, ref, &key.PublicKey, []string{PredicateSPDX}, opts); err != nil {
		t.Errorf("attested: %v", err)
	}
}
