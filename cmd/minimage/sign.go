package main

// The signing commands, key generate and sign, and the key and password
// handling that verify, pull and build's --sign-key share. main.go
// dispatches to them.

import (
	"context"
	"crypto/ecdsa"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/signature"
)

const keyUsage = `Usage: minimage key generate [--output-key-prefix P]

Write a cosign key pair: P.key, the ECDSA P-256 private key encrypted with
a password (readable by you only), and P.pub, its public key. cosign reads
both. The password is $COSIGN_PASSWORD when set, else typed on the terminal;
it is never a flag.

Flags:
`

// newKeyFlagSet makes the flags of "minimage key generate"; the output
// flag keeps cosign's name.
func newKeyFlagSet(prefix *string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage key", keyUsage, stdout, stderr)
	fs.StringVar(prefix, "output-key-prefix", "cosign", "write the keys to `P`.key and P.pub")
	return fs
}

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	prefix := new(string)
	sub, err := cli.Parse(newKeyFlagSet(prefix, stdout, stderr), args, 1, 1, "one subcommand (generate)")
	if err != nil {
		return err
	}
	if sub[0] != "generate" {
		return fmt.Errorf("%w: unknown subcommand %q; the one there is: generate", errUsage, sub[0])
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

// signFlags are the flags of "minimage sign".
type signFlags struct {
	reg     registryFlags
	keyFile string
	ann     cli.List
}

func newSignFlagSet(f *signFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage sign", signUsage, stdout, stderr)
	f.reg.register(fs, true)
	fs.StringVar(&f.keyFile, "key", "", "sign with the private key in `FILE` (minimage key generate, cosign generate-key-pair)")
	fs.Var(&f.ann, "a", "add `KEY=VAL` to the signed payload's optional section (repeatable)")
	return fs
}

func runSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f signFlags
	refs, err := cli.Parse(newSignFlagSet(&f, stdout, stderr), args, 1, -1, "at least one REGISTRY/REPOSITORY[:TAG]")
	if err != nil {
		return err
	}
	if f.keyFile == "" {
		return fmt.Errorf("%w: no key; add --key FILE", errUsage)
	}
	var opts signature.Options
	if opts.Annotations, err = cli.KeyValues("a", f.ann.Values); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if opts.Remote, err = f.reg.options(stderr); err != nil {
		return err
	}
	key, err := readPrivateKey(f.keyFile, stderr)
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
