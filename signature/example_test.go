package signature_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

// Sign an image pushed to a registry, then verify it as a deploy gate
// would, with the public key alone.
func Example() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	dir, err := os.MkdirTemp("", "keys")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// minimage key generate, or cosign generate-key-pair.
	k, err := signature.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	prefix := filepath.Join(dir, "cosign")
	if err := signature.WriteKeyFiles(prefix, k, []byte("password")); err != nil {
		log.Fatal(err)
	}

	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithLabel("app", "v1")
	ref := reg.Host() + "/app:v1"
	opts := signature.Options{Remote: remote.Options{InsecureAllowHTTP: true}}
	if _, err := remote.Push(ctx, ref, img, opts.Remote); err != nil {
		log.Fatal(err)
	}
	key, err := signature.ReadPrivateKeyFile(prefix+".key", []byte("password"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := signature.Sign(ctx, ref, img, key, opts); err != nil {
		log.Fatal(err)
	}

	pub, err := signature.ReadPublicKeyFile(prefix + ".pub")
	if err != nil {
		log.Fatal(err)
	}
	pulled, err := remote.Pull(ctx, ref, opts.Remote)
	if err != nil {
		log.Fatal(err)
	}
	payloads, err := signature.Verify(ctx, ref, pulled, pub, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(payloads), payloads[0].Digest == img.Digest())

	// An image nobody signed is refused.
	other := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).WithLabel("unsigned", "yes")
	if _, err := remote.Push(ctx, reg.Host()+"/app:v2", other, opts.Remote); err != nil {
		log.Fatal(err)
	}
	_, err = signature.Verify(ctx, reg.Host()+"/app:v2", other, pub, opts)
	fmt.Println(errors.Is(err, signature.ErrNoSignature))
	// Output:
	// 1 true
	// true
}

// Pull an image only if it is signed: a deploy step that must not run
// anything the release key did not sign.
func ExamplePullVerified() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	key, err := signature.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	opts := signature.Options{Remote: remote.Options{InsecureAllowHTTP: true}}
	amd64 := image.Platform{OS: "linux", Architecture: "amd64"}
	ix, err := image.NewIndex(image.New(amd64), image.New(image.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		log.Fatal(err)
	}
	ref := reg.Host() + "/app:v1"
	if _, err := remote.Push(ctx, ref, ix, opts.Remote); err != nil {
		log.Fatal(err)
	}
	_, err = signature.PullVerified(ctx, ref, amd64, &key.PublicKey, opts)
	fmt.Println(errors.Is(err, signature.ErrNoSignature))

	if _, err := signature.Sign(ctx, ref, ix, key, opts); err != nil {
		log.Fatal(err)
	}
	img, err := signature.PullVerified(ctx, ref, amd64, &key.PublicKey, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Digest() == ix.Images()[0].Digest())
	// Output:
	// true
	// true
}

// Check an image in a registry as a deploy gate would: signed by the
// key, and every blob intact.
func ExampleVerifyReference() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	key, err := signature.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	opts := signature.Options{Remote: remote.Options{InsecureAllowHTTP: true}}
	img := image.New(image.Platform{OS: "linux", Architecture: "amd64"})
	ref := reg.Host() + "/app:v1"
	if _, err := remote.Push(ctx, ref, img, opts.Remote); err != nil {
		log.Fatal(err)
	}
	if _, err := signature.Sign(ctx, ref, img, key, opts); err != nil {
		log.Fatal(err)
	}
	v, err := signature.VerifyReference(ctx, ref, &key.PublicKey, nil, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Repository == reg.Host()+"/app", len(v.Payloads), v.Blobs)
	// Output:
	// true 1 2
}

// Get the password of a private key as cosign does: $COSIGN_PASSWORD in
// CI, else typed on the terminal.
func ExamplePassword() {
	os.Setenv("COSIGN_PASSWORD", "from-ci")
	defer os.Unsetenv("COSIGN_PASSWORD")
	pw, err := signature.Password(os.Stdin, os.Stderr, false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(pw))
	// Output: from-ci
}
