package conformance

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	ggcrremote "github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/internal/testenv"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// The clients below push to and pull from a registry with TLS and
// bearer-token auth, the configuration with the most to get right.
var regOpts = registrytest.Options{TLS: true, User: "client", Password: "s3cret", BearerToken: true}

// uploads counts the requests of log that upload blob bytes.
func uploads(log []registrytest.Request) (n int) {
	for _, r := range log {
		if strings.Contains(r.Path, "/blobs/uploads/") && r.Method != "POST" || r.Method == "POST" && strings.Contains(r.Query, "digest=") {
			n++
		}
	}
	return n
}

// TestGoContainerRegistry pushes and pulls with go-containerregistry's
// remote package, as crane does.
func TestGoContainerRegistry(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, regOpts)
	opts := []ggcrremote.Option{
		ggcrremote.WithAuth(&authn.Basic{Username: regOpts.User, Password: regOpts.Password}),
		ggcrremote.WithTransport(reg.Client().Transport),
	}
	img, err := random.Image(2<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(reg.Host() + "/ggcr/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ggcrremote.Write(ref, img, opts...); err != nil {
		t.Fatalf("push: %v", err)
	}
	want, _ := img.Digest()
	pulled, err := ggcrremote.Image(ref, opts...)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	if got, _ := pulled.Digest(); got != want {
		t.Errorf("pulled %s, pushed %s", got, want)
	}
	layers, _ := pulled.Layers()
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil { // ggcr checks the digest
			t.Errorf("layer: %v", err)
		}
		rc.Close()
	}

	// Pushing again uploads nothing: the client sees every blob there.
	reg.ResetLog()
	if err := ggcrremote.Write(ref, img, opts...); err != nil {
		t.Fatal(err)
	}
	if n := uploads(reg.Log()); n != 0 {
		t.Errorf("pushing again uploaded %d blobs", n)
	}
	// Copying to another repository mounts the config and layers.
	reg.ResetLog()
	dst, _ := name.ParseReference(reg.Host() + "/ggcr/copy:v1")
	if err := ggcrremote.Write(dst, pulled, opts...); err != nil {
		t.Fatal(err)
	}
	mounts := 0
	for _, r := range reg.Log() {
		if r.Method == "POST" && strings.Contains(r.Query, "mount=") && r.Status == http.StatusCreated {
			mounts++
		}
	}
	if mounts != len(layers)+1 || uploads(reg.Log()) != 0 {
		t.Errorf("copying mounted %d blobs and uploaded %d; want %d mounted, none uploaded", mounts, uploads(reg.Log()), len(layers)+1)
	}

	ix, err := random.Index(1024, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	ixRef, _ := name.ParseReference(reg.Host() + "/ggcr/app:multi")
	if err := ggcrremote.WriteIndex(ixRef, ix, opts...); err != nil {
		t.Fatalf("push index: %v", err)
	}
	if got, err := ggcrremote.Index(ixRef, opts...); err != nil {
		t.Errorf("pull index: %v", err)
	} else if gd, _ := got.Digest(); gd != mustDigest(ix.Digest()) {
		t.Errorf("pulled index %s", gd)
	}
	tags, err := ggcrremote.List(ref.Context(), opts...)
	if err != nil || strings.Join(tags, ",") != "multi,v1" {
		t.Errorf("tags %q, %v; want multi, v1", tags, err)
	}
	if err := ggcrremote.Delete(ixRef, opts...); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := ggcrremote.Index(ixRef, opts...); err == nil {
		t.Error("the deleted tag still resolves")
	}
}

func mustDigest(h v1.Hash, err error) v1.Hash {
	if err != nil {
		panic(err)
	}
	return h
}

// TestORAS pushes an artifact and a referrer of it with oras-go, and
// pulls them back.
func TestORAS(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	reg := registrytest.New(t, regOpts)
	repo, err := orasremote.NewRepository(reg.Host() + "/oras/artifact")
	if err != nil {
		t.Fatal(err)
	}
	repo.Client = &auth.Client{
		Client:     reg.Client(),
		Cache:      auth.NewCache(),
		Credential: auth.StaticCredential(reg.Host(), auth.Credential{Username: regOpts.User, Password: regOpts.Password}),
	}
	store := memory.New()
	data := []byte("hello, registry")
	blob := content.NewDescriptorFromBytes("text/plain", data)
	if err := store.Push(ctx, blob, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	art, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, "application/vnd.example.note", oras.PackManifestOptions{Layers: []ocispec.Descriptor{blob}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Tag(ctx, art, "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := oras.Copy(ctx, store, "v1", repo, "v1", oras.DefaultCopyOptions); err != nil {
		t.Fatalf("push: %v", err)
	}
	sig, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.example.signature", oras.PackManifestOptions{Subject: &art})
	if err != nil {
		t.Fatalf("push referrer: %v", err)
	}
	var refs []ocispec.Descriptor
	if err := repo.Referrers(ctx, art, "application/vnd.example.signature", func(r []ocispec.Descriptor) error {
		refs = append(refs, r...)
		return nil
	}); err != nil {
		t.Fatalf("referrers: %v", err)
	}
	if len(refs) != 1 || refs[0].Digest != sig.Digest {
		t.Errorf("referrers %v, want %s", refs, sig.Digest)
	}
	dst := memory.New()
	got, err := oras.Copy(ctx, repo, "v1", dst, "v1", oras.DefaultCopyOptions)
	if err != nil || got.Digest != art.Digest {
		t.Fatalf("pull: %v, %s", err, got.Digest)
	}
	rc, err := dst.Fetch(ctx, blob)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); !bytes.Equal(b, data) {
		t.Errorf("pulled %q", b)
	}
}

// TestSkopeo copies a fixture from a layout to the registry and back
// with skopeo, the tool non-Go tests reach for.
func TestSkopeo(t *testing.T) {
	skopeo := testenv.NeedTool(t, "skopeo")
	t.Parallel()
	reg := registrytest.New(t, regOpts)
	certs := t.TempDir()
	if err := os.WriteFile(filepath.Join(certs, "ca.crt"), reg.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	creds := regOpts.User + ":" + regOpts.Password
	img := imagetest.Image(t, imagetest.Spec{Seed: 3, Layers: 2, Files: 5})
	src := imagetest.WriteLayout(t, img, "v1")
	dst := t.TempDir()
	ref := "docker://" + reg.Host() + "/skopeo/app:v1"
	for _, args := range [][]string{
		{"copy", "--preserve-digests", "--dest-cert-dir", certs, "--dest-creds", creds, "oci:" + src + ":v1", ref},
		{"copy", "--preserve-digests", "--src-cert-dir", certs, "--src-creds", creds, ref, "oci:" + dst + ":v1"},
	} {
		cmd := exec.CommandContext(t.Context(), skopeo, append([]string{"--insecure-policy"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	out, err := exec.Command(skopeo, "inspect", "--raw", "--cert-dir", certs, "--creds", creds, ref).Output()
	if err != nil || !bytes.Equal(out, img.RawManifest()) {
		t.Errorf("skopeo inspect --raw: %v\n%s\nwant %s", err, out, img.RawManifest())
	}
	lay, err := layout.Read(dst)
	if err != nil {
		t.Fatal(err)
	}
	got, err := lay.Image(t.Context(), "v1", image.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != img.Digest() {
		t.Errorf("copied back %s, pushed %s", got.Digest(), img.Digest())
	}
	imagetest.EqualFiles(t, got, img)
}
