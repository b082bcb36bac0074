package interop

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
	"github.com/opencontainers/go-digest"
)

// The cosign binaries TestCosign runs: $COSIGN, else these where they
// are installed (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5
// and .../v3/cmd/cosign@v3.1.3, renamed).
var cosignPaths = []string{"/usr/local/bin/cosign-v2.6.5", "/usr/local/bin/cosign-v3.1.3"}

const cosignPassword = "interop-pw"

// TestCosign checks signatures both ways between minimage and real cosign,
// in cosign's tag scheme, on the in-process registry over plain HTTP:
// keys made by either are read by the other; cosign verify accepts what
// package signature signs and it accepts what cosign sign signs; both
// refuse a changed payload, a signature stored for another digest and a
// signature by another key; and cosign verify-attestation accepts the
// provenance and SBOMs a signed build attests; with cosign v3, sigstore
// bundle referrers, both ways, signatures (bundlesBothWays) and
// attestations. It is skipped where no cosign is installed
// (building one takes minutes), CI included.
func TestCosign(t *testing.T) {
	bins := cosignBinaries()
	if len(bins) == 0 {
		t.Skip("no cosign: set $COSIGN or install cosign-v2.6.5 or cosign-v3.1.3 in /usr/local/bin")
	}
	reg := registrytest.New(t, registrytest.Options{})
	for _, bin := range bins {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			c := newCosign(t, bin)
			t.Logf("%s", c.version)
			repo := reg.Host() + "/" + strings.ReplaceAll(filepath.Base(bin), ".", "-")
			t.Run("minimage signs, cosign verifies", func(t *testing.T) { cosignVerifiesMinimage(t, c, repo+"/a") })
			t.Run("cosign's keys, minimage signs", func(t *testing.T) { minimageUsesCosignKeys(t, c, repo+"/b") })
			t.Run("cosign signs, minimage verifies", func(t *testing.T) { minimageVerifiesCosign(t, c, repo+"/c") })
			t.Run("both refuse tampering", func(t *testing.T) { bothRefuseTampering(t, c, repo+"/d") })
			t.Run("cosign verifies minimage's attestations", func(t *testing.T) { cosignVerifiesAttestations(t, c, repo+"/e") })
			if c.v3 {
				t.Run("bundles both ways", func(t *testing.T) { bundlesBothWays(t, c, repo+"/f") })
				t.Run("bundle attestations, minimage's", func(t *testing.T) { cosignVerifiesBundleAttestations(t, c, repo+"/g") })
				t.Run("bundle attestations, cosign's", func(t *testing.T) { minimageVerifiesCosignAttestation(t, c, repo+"/h") })
			}
		})
	}
}

func cosignVerifiesMinimage(t *testing.T, c *cosign, repo string) {
	ix := imagetest.FixtureIndex(t)
	ref := repo + ":v1"
	pushArtifact(t, ref, ix)
	key, prefix := minimageKey(t)
	if _, err := signature.Sign(t0(), ref, ix, key, sigOpts(nil)); err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]digest.Digest{ix.Digest()}, digests(ix.Images())...) {
		out, err := c.run(t, "verify", "--key", prefix+".pub", "--insecure-ignore-tlog", "--allow-http-registry", repo+"@"+d.String())
		if err != nil || !strings.Contains(out, `"docker-manifest-digest":"`+d.String()+`"`) {
			t.Errorf("cosign verify %s: %v\n%s", d, err, out)
		}
	}
	// The tag, as a user would give it, and with -a.
	if out, err := c.run(t, "verify", "--key", prefix+".pub", "--insecure-ignore-tlog", "--allow-http-registry", ref); err != nil {
		t.Errorf("cosign verify %s: %v\n%s", ref, err, out)
	}
}

func minimageUsesCosignKeys(t *testing.T, c *cosign, repo string) {
	img := imagetest.Image(t, imagetest.Spec{Seed: 240})
	ref := repo + ":v1"
	pushArtifact(t, ref, img)
	priv, pub := c.keys(t)
	opts := sigOpts(map[string]string{"ci": "yes"})
	if _, err := signature.Sign(t0(), ref, img, priv, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := signature.Verify(t0(), ref, img, pub, opts); err != nil {
		t.Error(err)
	}
	if out, err := c.run(t, "verify", "--key", c.prefix+".pub", "--insecure-ignore-tlog", "--allow-http-registry", "-a", "ci=yes", ref); err != nil {
		t.Errorf("cosign verify -a ci=yes: %v\n%s", err, out)
	}
}

func minimageVerifiesCosign(t *testing.T, c *cosign, repo string) {
	img := imagetest.Image(t, imagetest.Spec{Seed: 241})
	ref := repo + ":v1"
	pushArtifact(t, ref, img)
	_, pub := c.keys(t)
	if out, err := c.sign(t, ref); err != nil {
		t.Fatalf("cosign sign: %v\n%s", err, out)
	}
	if _, err := signature.Verify(t0(), ref, img, pub, sigOpts(nil)); err != nil {
		t.Errorf("minimage verify of cosign's signature: %v", err)
	}
	mkey, mprefix := minimageKey(t)
	if _, err := signature.Verify(t0(), ref, img, &mkey.PublicKey, sigOpts(nil)); !errors.Is(err, signature.ErrWrongKey) {
		t.Errorf("another key: got %v, want ErrWrongKey", err)
	}
	// minimage adds its signature beside cosign's: both verify, in both.
	if _, err := signature.Sign(t0(), ref, img, mkey, sigOpts(nil)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{c.prefix + ".pub", mprefix + ".pub"} {
		if out, err := c.run(t, "verify", "--key", k, "--insecure-ignore-tlog", "--allow-http-registry", ref); err != nil {
			t.Errorf("cosign verify --key %s after minimage signed too: %v\n%s", filepath.Base(k), err, out)
		}
	}
	if _, err := signature.Verify(t0(), ref, img, pub, sigOpts(nil)); err != nil {
		t.Errorf("cosign's signature after minimage signed too: %v", err)
	}
}

func bothRefuseTampering(t *testing.T, c *cosign, repo string) {
	imgA := imagetest.Image(t, imagetest.Spec{Seed: 242})
	imgB := imagetest.Image(t, imagetest.Spec{Seed: 243})
	pushArtifact(t, repo+":a", imgA)
	pushArtifact(t, repo+":b", imgB)
	key, prefix := minimageKey(t)
	if _, err := signature.Sign(t0(), repo+":a", imgA, key, sigOpts(nil)); err != nil {
		t.Fatal(err)
	}
	sigA := readSignature(t, repo+":"+signature.SignatureTag(imgA.Digest()))
	_, otherPrefix := minimageKey(t)
	otherPub, err := signature.ReadPublicKeyFile(otherPrefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	refuse := func(what, ref, pubFile string, pub *ecdsa.PublicKey, want error) {
		t.Helper()
		if out, err := c.run(t, "verify", "--key", pubFile, "--insecure-ignore-tlog", "--allow-http-registry", ref); err == nil {
			t.Errorf("%s: cosign verify passed:\n%s", what, out)
		}
		a, err := remote.Pull(t0(), ref, remote.Options{InsecureAllowHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := signature.Verify(t0(), ref, a, pub, sigOpts(nil)); !errors.Is(err, want) {
			t.Errorf("%s: minimage verify: got %v, want %v", what, err, want)
		}
	}
	pub := &key.PublicKey
	refuse("another key", repo+":a", otherPrefix+".pub", otherPub, signature.ErrWrongKey)

	putSignature(t, repo+":"+signature.SignatureTag(imgB.Digest()), sigA)
	refuse("A's signature stored as B's", repo+":b", prefix+".pub", pub, signature.ErrDigestMismatch)

	changed := sigA
	changed.Payload = bytes.Replace(sigA.Payload, []byte(`"optional":null`), []byte(`"optional":{"x":"y"}`), 1)
	if bytes.Equal(changed.Payload, sigA.Payload) {
		t.Fatalf("payload %s: nothing changed", sigA.Payload)
	}
	putSignature(t, repo+":"+signature.SignatureTag(imgA.Digest()), changed)
	refuse("a changed payload", repo+":a", prefix+".pub", pub, signature.ErrWrongKey)
}

// cosign is one cosign binary, with a HOME, a DOCKER_CONFIG and a key
// pair (made on first use) of its own.
type cosign struct {
	bin, version, home, prefix string
	v3                         bool
}

func cosignBinaries() []string {
	if c := os.Getenv("COSIGN"); c != "" {
		return []string{c}
	}
	var bins []string
	for _, p := range cosignPaths {
		if _, err := os.Stat(p); err == nil {
			bins = append(bins, p)
		}
	}
	return bins
}

func newCosign(t *testing.T, bin string) *cosign {
	c := &cosign{bin: bin, home: t.TempDir()}
	out, err := c.run(t, "version")
	if err != nil {
		t.Fatalf("%s version: %v\n%s", bin, err, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "GitVersion:") {
			c.version = strings.TrimSpace(strings.TrimPrefix(l, "GitVersion:"))
		}
	}
	c.v3 = strings.HasPrefix(c.version, "v3")
	return c
}

// run runs cosign with args and returns its combined output.
func (c *cosign) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.home
	cmd.Env = append(os.Environ(), "HOME="+c.home, "DOCKER_CONFIG="+c.home, "COSIGN_PASSWORD="+cosignPassword, "TUF_ROOT="+filepath.Join(c.home, "tuf"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// keys returns cosign's key pair, made by cosign generate-key-pair and
// read by package signature.
func (c *cosign) keys(t *testing.T) (*ecdsa.PrivateKey, *ecdsa.PublicKey) {
	t.Helper()
	if c.prefix == "" {
		prefix := filepath.Join(c.home, "ck")
		if out, err := c.run(t, "generate-key-pair", "--output-key-prefix", prefix); err != nil {
			t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
		}
		c.prefix = prefix
	}
	priv, err := signature.ReadPrivateKeyFile(c.prefix+".key", []byte(cosignPassword))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signature.ReadPublicKeyFile(c.prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// sign signs ref with cosign's key in the tag scheme, with no
// transparency log.
func (c *cosign) sign(t *testing.T, ref string) (string, error) {
	t.Helper()
	c.keys(t)
	args := []string{"sign", "--key", c.prefix + ".key", "--tlog-upload=false", "--allow-http-registry", "-y"}
	if c.v3 {
		// v3 writes a sigstore bundle referrer unless told otherwise.
		args = append(args, "--new-bundle-format=false", "--use-signing-config=false")
	}
	return c.run(t, append(args, ref)...)
}

func minimageKey(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	k, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(t.TempDir(), "mk")
	if err := signature.WriteKeyFiles(prefix, k, []byte(cosignPassword)); err != nil {
		t.Fatal(err)
	}
	return k, prefix
}

func sigOpts(ann map[string]string) signature.Options {
	return signature.Options{Remote: remote.Options{InsecureAllowHTTP: true}, Annotations: ann}
}

func pushArtifact(t *testing.T, ref string, a image.Artifact) {
	t.Helper()
	if _, err := remote.Push(context.Background(), ref, a, remote.Options{InsecureAllowHTTP: true}); err != nil {
		t.Fatal(err)
	}
}

func readSignature(t *testing.T, tag string) signature.Signature {
	t.Helper()
	a, err := remote.Pull(t0(), tag, remote.Options{InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := signature.ReadSignatures(t0(), a)
	if err != nil || len(sigs) != 1 {
		t.Fatalf("%s: %d signatures, %v", tag, len(sigs), err)
	}
	return sigs[0]
}

func putSignature(t *testing.T, tag string, s signature.Signature) {
	t.Helper()
	a, err := signature.AppendSignatures(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	pushArtifact(t, tag, a)
}

func digests(imgs []*image.Image) []digest.Digest {
	var ds []digest.Digest
	for _, img := range imgs {
		ds = append(ds, img.Digest())
	}
	return ds
}

// bundlesBothWays checks the OCI 1.1 form with cosign v3: cosign verify
// --key (the bundle form is v3's default; --insecure-ignore-tlog as there
// is no log entry) accepts minimage's bundle referrers, minimage accepts
// cosign's (sign --key --tlog-upload=false --use-signing-config=false),
// and both refuse a bundle stored for another digest and another key's.
func bundlesBothWays(t *testing.T, c *cosign, repo string) {
	ix := imagetest.FixtureIndex(t)
	img := imagetest.Image(t, imagetest.Spec{Seed: 245})
	imgB := imagetest.Image(t, imagetest.Spec{Seed: 246})
	pushArtifact(t, repo+":ix", ix)
	pushArtifact(t, repo+":img", img)
	pushArtifact(t, repo+":b", imgB)
	key, prefix := minimageKey(t)
	opts := sigOpts(map[string]string{"ci": "yes"})
	opts.Format = signature.FormatBundle
	if _, err := signature.Sign(t0(), repo+":ix", ix, key, opts); err != nil {
		t.Fatal(err)
	}
	verify := func(pub, ref string, extra ...string) (string, error) {
		return c.run(t, append([]string{"verify", "--key", pub, "--insecure-ignore-tlog", "--allow-http-registry"}, append(extra, ref)...)...)
	}
	for _, d := range append([]digest.Digest{ix.Digest()}, digests(ix.Images())...) {
		out, err := verify(prefix+".pub", repo+"@"+d.String(), "-a", "ci=yes")
		if err != nil || !strings.Contains(out, d.String()) {
			t.Errorf("cosign verify of minimage's bundle for %s: %v\n%s", d, err, out)
		}
	}
	if _, err := remote.Pull(t0(), repo+":"+signature.SignatureTag(ix.Digest()), remote.Options{InsecureAllowHTTP: true}); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("a .sig tag beside the bundles: %v", err)
	}

	// cosign's bundle, minimage verifies; another key is refused.
	_, pub := c.keys(t)
	args := []string{"sign", "--key", c.prefix + ".key", "--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry", "-y", "-a", "by=cosign"}
	if out, err := c.run(t, append(args, repo+"@"+img.Digest().String())...); err != nil {
		t.Fatalf("cosign sign (bundle): %v\n%s", err, out)
	}
	ds, err := remote.Referrers(t0(), repo, img.Digest(), signature.MediaTypeBundle, remote.Options{InsecureAllowHTTP: true})
	if err != nil || len(ds) != 1 {
		t.Fatalf("cosign's bundle referrers of %s: %+v, %v; want one", img.Digest(), ds, err)
	}
	p, err := signature.VerifyDigest(t0(), repo+":img", img.Digest(), pub, sigOpts(map[string]string{"by": "cosign"}))
	if err != nil || p.Digest != img.Digest() {
		t.Errorf("minimage verify of cosign's bundle: %+v, %v", p, err)
	}
	if _, err := signature.VerifyDigest(t0(), repo+":img", img.Digest(), &key.PublicKey, sigOpts(nil)); !errors.Is(err, signature.ErrWrongKey) {
		t.Errorf("cosign's bundle, another key: got %v, want ErrWrongKey", err)
	}
	if out, err := verify(prefix+".pub", repo+"@"+img.Digest().String()); err == nil {
		t.Errorf("cosign verify with another key passed:\n%s", out)
	}

	// cosign's bundle for img, stored as a referrer of imgB.
	r, err := remote.Pull(t0(), repo+"@"+ds[0].Digest.String(), remote.Options{InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := signature.ReadBundles(t0(), []image.Artifact{r})
	if err != nil || len(bs) != 1 {
		t.Fatalf("read cosign's bundle: %d, %v", len(bs), err)
	}
	moved, err := signature.BundleReferrer(imgB.Descriptor(), bs[0], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.PushReferrers(t0(), repo, []image.Artifact{moved}, remote.Options{InsecureAllowHTTP: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := signature.VerifyDigest(t0(), repo+":b", imgB.Digest(), pub, sigOpts(nil)); !errors.Is(err, signature.ErrDigestMismatch) {
		t.Errorf("img's bundle as imgB's: got %v, want ErrDigestMismatch", err)
	}
	if out, err := verify(c.prefix+".pub", repo+"@"+imgB.Digest().String()); err == nil {
		t.Errorf("cosign verify passed img's bundle as imgB's:\n%s", out)
	}
}

// cosignVerifiesBundleAttestations checks that cosign v3
// verify-attestation accepts the attestations a signed build stores as
// sigstore bundle referrers: pushed with --signature-format bundle, and
// written to a layout that minimage push carries to the registry later;
// and that both refuse another key, a bundle stored for another image
// and a changed statement.
func cosignVerifiesBundleAttestations(t *testing.T, c *cosign, repo string) {
	hello, err := filepath.Abs("../examples/hello")
	if err != nil {
		t.Fatal(err)
	}
	key, prefix := minimageKey(t)
	dir := filepath.Join(t.TempDir(), "oci")
	r := helloRecipe(hello)
	r.Outputs = []build.Output{{Format: build.Registry, Path: repo + ":v1", Remote: sigOpts(nil).Remote}, {Format: build.Layout, Path: dir}}
	r.Tags = []string{"v1"}
	r.Sign = build.SignOptions{Key: key, Format: signature.FormatBundle}
	res, err := build.Run(t0(), r)
	if err != nil {
		t.Fatal(err)
	}
	cli := minimageCLI(t)
	if out, err := exec.Command(cli, "push", "-q", "--insecure-allow-http", dir+":v1", repo+"-layout:v1").CombinedOutput(); err != nil {
		t.Fatalf("minimage push DIR:v1: %v\n%s", err, out)
	}
	verify := func(pub, ref, typ string) (string, error) {
		return c.run(t, "verify-attestation", "--key", pub, "--insecure-ignore-tlog", "--allow-http-registry", "--type", typ, ref)
	}
	for _, base := range []string{repo, repo + "-layout"} {
		for _, ref := range []string{base + ":v1", base + "@" + res.Images[1].Digest().String()} {
			for _, typ := range []string{"slsaprovenance1", "spdxjson"} {
				if out, err := verify(prefix+".pub", ref, typ); err != nil {
					t.Errorf("cosign verify-attestation --type %s %s: %v\n%s", typ, ref, err, out)
				}
			}
		}
	}
	if _, err := remote.Pull(t0(), repo+":"+signature.AttestationTag(res.Artifact.Digest()), sigOpts(nil).Remote); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("an .att tag in the bundle form: %v", err)
	}
	_, other := minimageKey(t)
	if out, err := verify(other+".pub", repo+":v1", "spdxjson"); err == nil {
		t.Errorf("cosign verify-attestation with another key passed:\n%s", out)
	}
	if out, err := exec.Command(cli, "verify", "--insecure-allow-http", "--key", other+".pub", "--attestation", "spdxjson", repo+":v1").CombinedOutput(); err == nil {
		t.Errorf("minimage verify --attestation with another key passed:\n%s", out)
	}
	bundleTampering(t, c, repo, prefix, res.Images[1])
}

// bundleTampering takes the SPDX attestation bundle of img in repo and
// stores it as another image's, then changed as a third's: cosign
// verify-attestation and minimage VerifyAttestation refuse both.
func bundleTampering(t *testing.T, c *cosign, repo, prefix string, img *image.Image) {
	ro := sigOpts(nil).Remote
	ds, err := remote.Referrers(t0(), repo, img.Digest(), signature.MediaTypeBundle, ro)
	if err != nil {
		t.Fatal(err)
	}
	var bundle signature.Bundle
	for _, d := range ds {
		if d.Annotations[signature.AnnotationBundlePredicateType] == signature.PredicateSPDX {
			r, err := remote.Pull(t0(), repo+"@"+d.Digest.String(), ro)
			if err != nil {
				t.Fatal(err)
			}
			atts, err := signature.ReadBundleAttestations(t0(), []image.Artifact{r}, signature.PredicateSPDX)
			if err != nil || len(atts) != 1 {
				t.Fatalf("the SPDX bundle of %s: %d, %v", img.Digest(), len(atts), err)
			}
			bundle = readBundleLayer(t, r)
		}
	}
	if bundle.Data == nil {
		t.Fatalf("no SPDX bundle referrer of %s among %d", img.Digest(), len(ds))
	}
	var w map[string]any
	if err := json.Unmarshal(bundle.Data, &w); err != nil {
		t.Fatal(err)
	}
	env := w["dsseEnvelope"].(map[string]any)
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"SPDX-2.3"`), []byte(`"SPDX-2.2"`), 1))
	changed, err := json.Marshal(w)
	if err != nil || env["payload"] == base64.StdEncoding.EncodeToString(payload) {
		t.Fatalf("nothing changed: %v", err)
	}
	for i, b := range [][]byte{bundle.Data, changed} {
		victim := imagetest.Image(t, imagetest.Spec{Seed: uint64(250 + i)})
		ref := repo + "@" + victim.Digest().String()
		pushArtifact(t, ref, victim)
		moved, err := signature.BundleReferrer(victim.Descriptor(), signature.Bundle{Data: b}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := remote.PushReferrers(t0(), repo, []image.Artifact{moved}, ro); err != nil {
			t.Fatal(err)
		}
		what := [...]string{"another image's bundle", "a changed statement"}[i]
		want := [...]error{signature.ErrDigestMismatch, signature.ErrWrongKey}[i]
		if out, err := c.run(t, "verify-attestation", "--key", prefix+".pub", "--insecure-ignore-tlog", "--allow-http-registry", "--type", "spdxjson", ref); err == nil {
			t.Errorf("%s: cosign verify-attestation passed:\n%s", what, out)
		}
		pub, err := signature.ReadPublicKeyFile(prefix + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := signature.VerifyAttestation(t0(), ref, victim.Digest(), pub, signature.PredicateSPDX, sigOpts(nil)); !errors.Is(err, want) {
			t.Errorf("%s: minimage: got %v, want %v", what, err, want)
		}
	}
}

// readBundleLayer returns the one bundle the referrer r holds, whatever
// its predicate type.
func readBundleLayer(t *testing.T, r image.Artifact) signature.Bundle {
	t.Helper()
	for _, b := range r.Blobs() {
		if b.Descriptor.MediaType == signature.MediaTypeBundle {
			rc, err := b.Open(t0())
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			data, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return signature.Bundle{Data: data}
		}
	}
	t.Fatalf("referrer %s holds no bundle", r.Digest())
	return signature.Bundle{}
}

// minimageVerifiesCosignAttestation checks that minimage verify --key
// --attestation accepts what cosign v3 sign and attest --key
// --new-bundle-format store, and refuses another key.
func minimageVerifiesCosignAttestation(t *testing.T, c *cosign, repo string) {
	img := imagetest.Image(t, imagetest.Spec{Seed: 247})
	ref := repo + "@" + img.Digest().String()
	pushArtifact(t, ref, img)
	c.keys(t)
	pred := filepath.Join(t.TempDir(), "provenance.json")
	if err := os.WriteFile(pred, []byte(`{"buildDefinition":{"buildType":"https://example.com/b","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/c"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--key", c.prefix + ".key", "--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry", "-y"}
	if out, err := c.run(t, append(append([]string{"sign"}, common...), ref)...); err != nil {
		t.Fatalf("cosign sign: %v\n%s", err, out)
	}
	args := append(append([]string{"attest", "--new-bundle-format", "--type", "slsaprovenance1", "--predicate", pred}, common...), ref)
	if out, err := c.run(t, args...); err != nil {
		t.Fatalf("cosign attest --new-bundle-format: %v\n%s", err, out)
	}
	cli := minimageCLI(t)
	out, err := exec.Command(cli, "verify", "--insecure-allow-http", "--key", c.prefix+".pub", "--attestation", "slsaprovenance1", ref).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "with attestations slsaprovenance1") {
		t.Errorf("minimage verify --attestation of cosign's bundle: %v\n%s", err, out)
	}
	if out, err := exec.Command(cli, "verify", "--insecure-allow-http", "--key", c.prefix+".pub", "--attestation", "spdxjson", ref).CombinedOutput(); err == nil {
		t.Errorf("minimage verify --attestation spdxjson passed with only provenance:\n%s", out)
	}
	_, other := minimageKey(t)
	otherPub, err := signature.ReadPublicKeyFile(other + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signature.VerifyAttestation(t0(), ref, img.Digest(), otherPub, signature.PredicateSLSAProvenance1, sigOpts(nil)); !errors.Is(err, signature.ErrWrongKey) {
		t.Errorf("cosign's attestation, another key: got %v, want ErrWrongKey", err)
	}
}
