package build_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

// TestAttestationsAsBundles checks where a signed build's attestations
// go in the bundle form: sigstore bundle referrers in the registry (no
// .att tag), and in the layout, beside the signatures.
func TestAttestationsAsBundles(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	reg := registrytest.New(t, registrytest.Options{})
	ro := remote.Options{InsecureAllowHTTP: true}
	key, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ref, dir := reg.Host()+"/app:v1", filepath.Join(t.TempDir(), "oci")
	res, err := build.Run(ctx, build.Recipe{
		Binaries: []build.Binary{{Path: helloBinary(t)}}, Platforms: []image.Platform{amd64}, Bare: true,
		Outputs: []build.Output{{Format: build.Registry, Path: ref, Remote: ro}, {Format: build.Layout, Path: dir}},
		Sign:    build.SignOptions{Key: key, Format: signature.FormatBundle},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, pub := res.Artifact.Digest(), &key.PublicKey
	if _, err := remote.Pull(ctx, strings.TrimSuffix(ref, ":v1")+":"+signature.AttestationTag(d), ro); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("a .att tag in the bundle form: %v", err)
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signature.VerifyLayout(ctx, l, res.Artifact, pub, signature.Options{}); err != nil {
		t.Errorf("layout signature: %v", err)
	}
	for _, typ := range []string{signature.PredicateSLSAProvenance1, signature.PredicateSPDX} {
		if _, err := signature.VerifyAttestation(ctx, ref, d, pub, typ, signature.Options{Remote: ro}); err != nil {
			t.Errorf("registry %s: %v", typ, err)
		}
		if _, err := signature.VerifyLayoutAttestation(ctx, l, res.Artifact, pub, typ); err != nil {
			t.Errorf("layout %s: %v", typ, err)
		}
	}
	ds, err := remote.Referrers(ctx, ref, d, signature.MediaTypeBundle, ro)
	if err != nil || len(ds) != 3 {
		t.Errorf("%d bundle referrers of %s, %v; want the signature and two attestations", len(ds), d, err)
	}
}
