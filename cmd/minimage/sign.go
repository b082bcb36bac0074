package main

// The signing commands, key generate and sign, and the key and password
// handling that verify, pull and build's --sign-key share. main.go
// dispatches to them.

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

const keyUsage = `Usage: minimage key generate [--output-key-prefix P]

Write a cosign key pair: P.key, the ECDSA P-256 private key encrypted with
a password (readable by you only), and P.pub, its public key. cosign reads
both. The password is $COSIGN_PASSWORD when set, else typed on the terminal;
it is never a flag.

Flags:
`

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("minimage key", keyUsage, stdout, stderr)
	prefix := fs.String("output-key-prefix", "cosign", "write the keys to `P`.key and P.pub")
	sub, err := parseCommand(fs, args, "subcommand (generate)")
	if err != nil {
		return err
	}
	if sub != "generate" {
		fs.Usage()
		return fmt.Errorf("%w: unknown subcommand %q; the one there is: generate", errUsage, sub)
	}
	pw, err := signature.Password(os.Stdin, stderr, true)
	if err != nil {
		return err
	}
	k, err := signature.GenerateKey()
	if err != nil {
		return err
	}
	if err := signature.WriteKeyFiles(*prefix, k, pw); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "private key written to %s.key\npublic key written to %s.pub\n", *prefix, *prefix)
	return err
}

const signUsage = `Usage: minimage sign --key FILE [-a KEY=VAL]... REGISTRY/REPOSITORY[:TAG][@DIGEST]...

Sign images and indexes in a registry with a cosign private key, as cosign
sign --key does: each manifest's signature is added to the others under the
tag sha256-HEX.sig in its repository, and cosign verify --key checks it.
An index is signed with each image it lists. Prints REF@DIGEST for each
manifest signed. The password is $COSIGN_PASSWORD, else typed on the
terminal. Keyless signing (Fulcio, Rekor) is not supported.

Flags:
`

func runSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("minimage sign", signUsage, stdout, stderr)
	var rf registryFlags
	rf.registerConnection(fs)
	keyFile := fs.String("key", "", "sign with the private key in `FILE` (minimage key generate, cosign generate-key-pair)")
	var ann listFlag
	fs.Var(&ann, "a", "add `KEY=VAL` to the signed payload's optional section (repeatable)")
	refs, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *keyFile == "" || len(refs) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: want --key FILE and at least one REGISTRY/REPOSITORY[:TAG]", errUsage)
	}
	var opts signature.Options
	if opts.Annotations, err = keyValues("a", ann.values); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	rf.quiet = true
	if opts.Remote, err = rf.options(stderr); err != nil {
		return err
	}
	key, err := readPrivateKey(*keyFile, stderr)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		a, err := remote.Pull(ctx, ref, opts.Remote)
		if err != nil {
			return err
		}
		signed, err := signature.Sign(ctx, ref, a, key, opts)
		if err != nil {
			return err
		}
		r, err := remote.ParseReference(ref) // parsed by Pull already
		if err != nil {
			return err
		}
		for _, d := range signed {
			fmt.Fprintf(stdout, "%s@%s\n", r.Name(), d)
		}
	}
	return nil
}

// verifiedPull is pull --verify-key: signature.PullVerified with the
// public key in keyFile.
func verifiedPull(ctx context.Context, ref string, p image.Platform, keyFile string, opts remote.Options) (image.Artifact, error) {
	key, err := signature.ReadPublicKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	return signature.PullVerified(ctx, ref, p, key, signature.Options{Remote: opts})
}

// readPrivateKey reads a private key file, asking for its password.
func readPrivateKey(path string, stderr io.Writer) (*ecdsa.PrivateKey, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	pw, err := signature.Password(os.Stdin, stderr, false)
	if err != nil {
		return nil, err
	}
	return signature.ReadPrivateKeyFile(path, pw)
}
