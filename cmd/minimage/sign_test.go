package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

func TestSignVerifyCommands(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("COSIGN_PASSWORD", "pw")
	ctx := context.Background()
	ix := imagetest.FixtureIndex(t)
	signed, unsigned := reg.Host()+"/app:v1", reg.Host()+"/other:v1"
	for _, ref := range []string{signed, unsigned} {
		if _, err := remote.Push(ctx, ref, ix, remote.Options{InsecureAllowHTTP: true}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	k, other := filepath.Join(dir, "k"), filepath.Join(dir, "other")
	for _, prefix := range []string{k, other} {
		if code, _, stderr := minimage(t, "key", "generate", "--output-key-prefix", prefix); code != 0 {
			t.Fatalf("key generate: exit %d: %s", code, stderr)
		}
	}
	if st, err := os.Stat(k + ".key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("k.key: %v, %v; want mode 0600", st, err)
	}

	code, stdout, stderr := minimage(t, "sign", "--insecure-allow-http", "--key", k+".key", "-a", "team=core", signed)
	if n := len(ix.Images()) + 1; code != 0 || strings.Count(stdout, "\n") != n || !strings.Contains(stdout, reg.Host()+"/app@"+ix.Digest().String()) {
		t.Fatalf("sign: exit %d, stdout %q, want %d lines, the index first: %s", code, stdout, n, stderr)
	}
	code, stdout, stderr = minimage(t, "verify", "--insecure-allow-http", "--key", k+".pub", "-a", "team=core", signed)
	if code != 0 || !strings.Contains(stdout, "3 manifests signed") {
		t.Errorf("verify: exit %d, %q: %s", code, stdout, stderr)
	}
	for _, tc := range []struct {
		key, ref, want string
	}{
		{other + ".pub", signed, "not signed by the key"},
		{k + ".pub", unsigned, "no signature"},
	} {
		code, _, stderr := minimage(t, "verify", "--insecure-allow-http", "--key", tc.key, tc.ref)
		if code != 1 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, ix.Digest().String()) {
			t.Errorf("verify --key %s %s: exit %d, %q; want exit 1 naming %s and saying %q", filepath.Base(tc.key), tc.ref, code, stderr, ix.Digest(), tc.want)
		}
	}

	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr = minimage(t, "pull", "-q", "--insecure-allow-http", "--verify-key", k+".pub", "-o", out, unsigned)
	if _, err := os.Stat(out); code != 1 || !strings.Contains(stderr, "no signature") || err == nil {
		t.Errorf("pull --verify-key of an unsigned image: exit %d, %q, output %v; want exit 1 and nothing written", code, stderr, err)
	}
	code, _, stderr = minimage(t, "pull", "-q", "--insecure-allow-http", "--verify-key", k+".pub", "--platform", "linux/arm64", "-o", out, signed)
	if code != 0 {
		t.Errorf("pull --verify-key --platform of a signed index: exit %d: %s", code, stderr)
	}
}

func TestSignKeyPermissions(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "")
	prefix := filepath.Join(t.TempDir(), "k")
	if code, _, stderr := minimage(t, "key", "generate", "--output-key-prefix", prefix); code != 0 {
		t.Fatalf("key generate: %s", stderr)
	}
	if code, _, stderr := minimage(t, "key", "generate", "--output-key-prefix", prefix); code != 1 || !strings.Contains(stderr, "exists") {
		t.Errorf("key generate over existing keys: exit %d, %q", code, stderr)
	}
	if err := os.Chmod(prefix+".key", 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := minimage(t, "sign", "--key", prefix+".key", "localhost:1/app:v1")
	if code != 1 || !strings.Contains(stderr, "chmod 600 "+prefix+".key") {
		t.Errorf("sign with a world-readable key: exit %d, %q; want the chmod fix", code, stderr)
	}
}

func TestBuildPushSign(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("COSIGN_PASSWORD", "pw")
	prefix := filepath.Join(t.TempDir(), "k")
	if code, _, stderr := minimage(t, "key", "generate", "--output-key-prefix", prefix); code != 0 {
		t.Fatalf("key generate: %s", stderr)
	}
	ref := reg.Host() + "/app:v1"
	code, _, stderr := minimage(t, "build", "--insecure-allow-http", "--push", ref, "--sign-key", prefix+".key", helloBinary(t))
	if code != 0 || !strings.Contains(stderr, "signing "+ref) {
		t.Fatalf("build --sign-key: exit %d: %s", code, stderr)
	}
	opts := signature.Options{Remote: remote.Options{InsecureAllowHTTP: true}}
	a, err := remote.Pull(context.Background(), ref, opts.Remote)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signature.ReadPublicKeyFile(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signature.Verify(context.Background(), ref, a, pub, opts); err != nil {
		t.Error(err)
	}
	if _, ok := a.(*image.Image); !ok {
		t.Errorf("pushed a %T, want an image", a)
	}
	tarball := filepath.Join(t.TempDir(), "app.tar")
	if code, _, stderr := minimage(t, "build", "-o", tarball, "--sign-key", prefix+".key", helloBinary(t)); code != 2 || !strings.Contains(stderr, "--push") || !strings.Contains(stderr, "-o DIR") {
		t.Errorf("--sign-key with a tarball alone: exit %d, %q", code, stderr)
	}

	// The provenance and the SBOM are attested; --provenance=none
	// leaves the provenance out.
	code, stdout, stderr := minimage(t, "verify", "--insecure-allow-http", "--key", prefix+".pub", "--attestation", "slsaprovenance1", "--attestation", "spdxjson", ref)
	if code != 0 || !strings.Contains(stdout, "with attestations slsaprovenance1, spdxjson") {
		t.Errorf("verify --attestation: exit %d: %s%s", code, stdout, stderr)
	}
	ref2 := reg.Host() + "/app:noprov"
	if code, _, stderr := minimage(t, "build", "--insecure-allow-http", "--push", ref2, "--sign-key", prefix+".key", "--provenance=none", "--label", "x=y", helloBinary(t)); code != 0 {
		t.Fatalf("build --provenance=none: %s", stderr)
	}
	code, _, stderr = minimage(t, "verify", "--insecure-allow-http", "--key", prefix+".pub", "--attestation", "slsaprovenance1", ref2)
	if code != 1 || !strings.Contains(stderr, "no attestation of type https://slsa.dev/provenance/v1") {
		t.Errorf("verify --attestation slsaprovenance1 after --provenance=none: exit %d: %s", code, stderr)
	}
	if code, _, _ := minimage(t, "verify", "--insecure-allow-http", "--key", prefix+".pub", "--attestation", "spdxjson", ref2); code != 0 {
		t.Errorf("verify --attestation spdxjson after --provenance=none: exit %d", code)
	}
}

// TestSignLayoutAndBundle signs in the OCI 1.1 form: a layout that build
// -o DIR --sign-key signs, checked by verify --key DIR:TAG, pushed with its
// signatures and checked in the registry; sign --signature-format bundle;
// and build --base --verify-key refusing an unsigned base before writing.
func TestSignLayoutAndBundle(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("COSIGN_PASSWORD", "pw")
	dir := t.TempDir()
	k, other := filepath.Join(dir, "k"), filepath.Join(dir, "other")
	for _, prefix := range []string{k, other} {
		if code, _, stderr := minimage(t, "key", "generate", "--output-key-prefix", prefix); code != 0 {
			t.Fatalf("key generate: %s", stderr)
		}
	}
	out := filepath.Join(dir, "oci")
	if code, _, stderr := minimage(t, "build", "-q", "-o", out, "-t", "v1", "--sign-key", k+".key", helloBinary(t)); code != 0 {
		t.Fatalf("build -o DIR --sign-key: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := minimage(t, "verify", "--key", k+".pub", out+":v1")
	if code != 0 || !strings.Contains(stdout, "1 manifest signed") {
		t.Errorf("verify --key DIR:v1: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := minimage(t, "verify", "--key", other+".pub", out+":v1"); code != 1 || !strings.Contains(stderr, "not signed by the key") {
		t.Errorf("verify --key with another key: exit %d: %s", code, stderr)
	}
	atts := []string{"--attestation", "slsaprovenance1", "--attestation", "spdxjson"}
	code, stdout, stderr = minimage(t, append(append([]string{"verify", "--key", k + ".pub"}, atts...), out+":v1")...)
	if code != 0 || !strings.Contains(stdout, "with attestations slsaprovenance1, spdxjson") {
		t.Errorf("verify --key --attestation DIR:v1: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := minimage(t, "verify", "--key", other+".pub", "--attestation", "spdxjson", out+":v1"); code != 1 || !strings.Contains(stderr, "not signed by the key") {
		t.Errorf("verify --attestation with another key: exit %d: %s", code, stderr)
	}
	ref := reg.Host() + "/app:v1"
	if code, _, stderr := minimage(t, "push", "--insecure-allow-http", out+":v1", ref); code != 0 || !strings.Contains(stderr, signature.MediaTypeBundle) {
		t.Fatalf("push DIR:v1: exit %d, want the bundle referrer pushed: %s", code, stderr)
	}
	if code, stdout, stderr := minimage(t, append(append([]string{"verify", "--insecure-allow-http", "--key", k + ".pub"}, atts...), ref)...); code != 0 {
		t.Errorf("verify --key --attestation of the pushed layout's image: exit %d: %s%s", code, stdout, stderr)
	}

	// build --push --signature-format bundle: attestations as referrers,
	// no .att tag.
	ref3 := reg.Host() + "/bundled:v1"
	if code, _, stderr := minimage(t, "build", "-q", "--insecure-allow-http", "--push", ref3, "--sign-key", k+".key", "--signature-format", "bundle", helloBinary(t)); code != 0 {
		t.Fatalf("build --push --signature-format bundle: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := minimage(t, append(append([]string{"verify", "--insecure-allow-http", "--key", k + ".pub"}, atts...), ref3)...); code != 0 {
		t.Errorf("verify --attestation of a bundle-form build: exit %d: %s%s", code, stdout, stderr)
	}
	built, err := remote.Pull(context.Background(), ref3, remote.Options{InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{signature.SignatureTag(built.Digest()), signature.AttestationTag(built.Digest())} {
		if _, err := remote.Pull(context.Background(), reg.Host()+"/bundled:"+tag, remote.Options{InsecureAllowHTTP: true}); !errors.Is(err, image.ErrNotFound) {
			t.Errorf("the bundle-form build's tag %s: %v, want none", tag, err)
		}
	}
	pulled := filepath.Join(dir, "pulled")
	if code, _, stderr := minimage(t, "pull", "-q", "--insecure-allow-http", "--verify-key", k+".pub", "-o", pulled, ref); code != 0 {
		t.Errorf("pull --verify-key of a bundle-signed image: exit %d: %s", code, stderr)
	}

	// sign --signature-format bundle, in a registry: no .sig tag.
	ix := imagetest.FixtureIndex(t)
	ref2 := reg.Host() + "/ix:v1"
	if _, err := remote.Push(context.Background(), ref2, ix, remote.Options{InsecureAllowHTTP: true}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := minimage(t, "sign", "--insecure-allow-http", "--key", other+".key", "--signature-format", "bundle", ref2); code != 0 {
		t.Fatalf("sign --signature-format bundle: exit %d: %s", code, stderr)
	}
	if _, err := remote.Pull(context.Background(), reg.Host()+"/ix:"+signature.SignatureTag(ix.Digest()), remote.Options{InsecureAllowHTTP: true}); err == nil {
		t.Error("sign --signature-format bundle wrote a .sig tag")
	}
	if code, stdout, stderr := minimage(t, "verify", "--insecure-allow-http", "--key", other+".pub", ref2); code != 0 || !strings.Contains(stdout, "3 manifests signed") {
		t.Errorf("verify --key of a bundle-signed index: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := minimage(t, "sign", "--key", k+".key", "--signature-format", "cosign", ref2); code != 2 || !strings.Contains(stderr, "bundle") {
		t.Errorf("sign --signature-format cosign: exit %d: %s", code, stderr)
	}

	// build --base --verify-key: ix is signed by other, not k.
	refused := filepath.Join(dir, "refused")
	code, _, stderr = minimage(t, "build", "-q", "--insecure-allow-http", "--base", ref2, "--verify-key", k+".pub", "-o", refused, helloBinary(t))
	if _, err := os.Stat(refused); code != 1 || !strings.Contains(stderr, ix.Digest().String()) || !strings.Contains(stderr, "not signed by the key") || err == nil {
		t.Errorf("build --verify-key, base signed by another key: exit %d, output %v: %s", code, err, stderr)
	}
	if code, _, stderr := minimage(t, "build", "-q", "--insecure-allow-http", "--base", ref2, "--verify-key", other+".pub", "-o", refused, helloBinary(t)); code != 0 {
		t.Errorf("build --verify-key, base signed by the key: exit %d: %s", code, stderr)
	}
	if code, _, stderr := minimage(t, "build", "-q", "--base", out+":v1", "--verify-key", k+".pub", "-o", filepath.Join(dir, "on-layout"), helloBinary(t)); code != 0 {
		t.Errorf("build --verify-key on a signed layout base: exit %d: %s", code, stderr)
	}
}
