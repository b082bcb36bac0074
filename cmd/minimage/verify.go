package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("minimage verify", verifyUsage, stdout, stderr)
	var rf registryFlags
	rf.registerConnection(fs)
	keyFile := fs.String("key", "", "also check that every manifest is signed by the public key in `FILE` (P.pub); the argument is then a registry reference")
	var ann listFlag
	fs.Var(&ann, "a", "with --key, count only signatures whose payload holds `KEY=VAL` (repeatable)")
	path, err := parseCommand(fs, args, "PATH")
	if err != nil {
		return err
	}
	if *keyFile != "" {
		return verifySigned(ctx, path, *keyFile, ann.values, &rf, stdout, stderr)
	}
	lay, err := openLayout(path)
	if err != nil {
		return err
	}
	n, err := lay.Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s verified\n", path, plural(n, "blob"))
	return nil
}

const verifyUsage = `Usage: minimage verify PATH
       minimage verify --key P.pub [flags] REGISTRY/REPOSITORY[:TAG][@DIGEST]

Checks every blob of an OCI layout directory or tarball against its digest and size,
and every layer against its diffID, attestations and SBOMs included; exits 1 on any
mismatch.

With --key, checks an image or index in a registry: each manifest (an index and
each image it lists) must have a signature by the key in cosign's tag scheme whose
payload names that manifest (as cosign verify --key checks), then every blob is read
and checked. Signatures in layouts and tarballs are not supported yet.

Flags:
`

// verifySigned is verify --key: the signatures of ref, then its blobs.
func verifySigned(ctx context.Context, ref, keyFile string, ann []string, rf *registryFlags, stdout, stderr io.Writer) error {
	if _, err := os.Stat(ref); err == nil {
		return fmt.Errorf("%w: --key checks signatures in a registry, and %s is a path; signatures in layouts and tarballs are not supported yet", errUsage, ref)
	}
	key, err := signature.ReadPublicKeyFile(keyFile)
	if err != nil {
		return err
	}
	var opts signature.Options
	if opts.Annotations, err = keyValues("a", ann); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	rf.quiet = true
	if opts.Remote, err = rf.options(stderr); err != nil {
		return err
	}
	a, err := remote.Pull(ctx, ref, opts.Remote)
	if err != nil {
		return err
	}
	ps, err := signature.Verify(ctx, ref, a, key, opts)
	if err != nil {
		return err
	}
	n, err := image.Verify(ctx, a)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s@%s: %s signed by %s, %s verified\n", repositoryOf(ref), a.Digest(), plural(len(ps), "manifest"), keyFile, plural(n, "blob"))
	return err
}
