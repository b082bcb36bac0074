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
