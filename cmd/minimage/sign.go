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

	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
	"golang.org/x/term"
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
	fs := newFlagSet("minimage key", keyUsage, stdout, stderr)
	fs.StringVar(prefix, "output-key-prefix", "cosign", "write the keys to `P`.key and P.pub")
	return fs
}

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	prefix := new(string)
	sub, err := parseCommand(newKeyFlagSet(prefix, stdout, stderr), args, 1, 1, "one subcommand (generate)")
	if err != nil {
		return err
	}
	if sub[0] != "generate" {
		return fmt.Errorf("%w: unknown subcommand %q; the one there is: generate", errUsage, sub[0])
	}
	pw, err := keyPassword(stderr, true)
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
	ann     listFlag
}

func newSignFlagSet(f *signFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("minimage sign", signUsage, stdout, stderr)
	f.reg.register(fs, true)
	fs.StringVar(&f.keyFile, "key", "", "sign with the private key in `FILE` (minimage key generate, cosign generate-key-pair)")
	fs.Var(&f.ann, "a", "add `KEY=VAL` to the signed payload's optional section (repeatable)")
	return fs
}

func runSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f signFlags
	refs, err := parseCommand(newSignFlagSet(&f, stdout, stderr), args, 1, -1, "at least one REGISTRY/REPOSITORY[:TAG]")
	if err != nil {
		return err
	}
	if f.keyFile == "" {
		return fmt.Errorf("%w: no key; add --key FILE", errUsage)
	}
	var opts signature.Options
	if opts.Annotations, err = keyValues("a", f.ann.values); err != nil {
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
		for _, d := range signed {
			fmt.Fprintf(stdout, "%s@%s\n", repositoryOf(ref), d)
		}
	}
	return nil
}

// readPrivateKey reads a private key file, asking for its password.
func readPrivateKey(path string, stderr io.Writer) (*ecdsa.PrivateKey, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	pw, err := keyPassword(stderr, false)
	if err != nil {
		return nil, err
	}
	return signature.ReadPrivateKeyFile(path, pw)
}

// keyPassword returns the password of a private key: $COSIGN_PASSWORD
// when it is set (even empty, as cosign reads it), else one typed on the
// terminal, twice when confirm is set.
func keyPassword(stderr io.Writer, confirm bool) ([]byte, error) {
	if pw, ok := os.LookupEnv("COSIGN_PASSWORD"); ok {
		return []byte(pw), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, errors.New("no password for the private key: set COSIGN_PASSWORD (standard input is not a terminal to type it on)")
	}
	fmt.Fprint(stderr, "Enter password for private key: ")
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil || !confirm {
		return pw, err
	}
	fmt.Fprint(stderr, "Enter password for private key again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return nil, err
	}
	if string(again) != string(pw) {
		return nil, errors.New("the passwords differ; run the command again")
	}
	return pw, nil
}

// repositoryOf returns ref without its tag and digest.
func repositoryOf(ref string) string {
	r, err := remote.ParseReference(ref)
	if err != nil {
		return ref
	}
	return r.Registry + "/" + r.Repository
}
