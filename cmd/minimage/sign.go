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

	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/signature"
	"github.com/opencontainers/go-digest"
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

func runKey(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
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

const signUsage = `Usage: minimage sign --key FILE [flags] REGISTRY/REPOSITORY[:TAG][@DIGEST]|DIR[:TAG]...

Sign images and indexes with a cosign private key, as cosign sign --key
does; an index is signed with each image it lists. In a registry, the
signatures take the form --signature-format names: tag (the default) adds
each manifest's signature to the others under the tag sha256-HEX.sig in its
repository, as cosign v2 does; bundle pushes a sigstore bundle (v0.3) as an
OCI 1.1 referrer of each manifest, as cosign v3 does. cosign verify --key
checks either. In an OCI layout DIR, the signatures are always bundle
referrers, untagged, and minimage push DIR:TAG REF pushes them with the
image. Prints REF@DIGEST for each manifest signed. The password is
$COSIGN_PASSWORD, else typed on the terminal. Keyless signing (Fulcio,
Rekor) is not supported, nor are transparency log entries written.

Flags:
`

// signFlags are the flags of "minimage sign".
type signFlags struct {
	reg     registryFlags
	keyFile string
	ann     cli.List
	format  signatureFormat
}

func newSignFlagSet(f *signFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage sign", signUsage, stdout, stderr)
	f.reg.register(fs, true)
	fs.StringVar(&f.keyFile, "key", "", "sign with the private key in `FILE` (minimage key generate, cosign generate-key-pair)")
	fs.Var(&f.ann, "a", "add `KEY=VAL` to the signed payload's optional section (repeatable)")
	f.format.register(fs)
	return fs
}

// signatureFormat is --signature-format, of sign and build.
type signatureFormat struct{ signature.Format }

func (f *signatureFormat) register(fs *flag.FlagSet) {
	fs.Var(f, "signature-format", "store signatures (and build's attestations) in a registry as `FORMAT`: tag (cosign's sha256-HEX.sig and .att tags, cosign v2's) or bundle (sigstore bundle referrers, OCI 1.1, cosign v3's); a layout always holds bundles")
}

func (f *signatureFormat) Set(v string) error {
	var err error
	f.Format, err = signature.ParseFormat(v)
	return err
}

func runSign(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f signFlags
	f.reg.stdin = stdin
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
	opts.Format = f.format.Format
	for _, name := range refs {
		where, signed, err := signOne(ctx, name, key, opts)
		if err != nil {
			return err
		}
		for _, d := range signed {
			fmt.Fprintf(stdout, "%s@%s\n", where, d)
		}
	}
	return nil
}

// signOne signs what name names: a layout's entry (DIR[:TAG]) with
// bundle referrers in the layout, else an image or index in a registry.
// It returns the layout directory or repository, and the digests signed.
func signOne(ctx context.Context, name string, key *ecdsa.PrivateKey, opts signature.Options) (string, []digest.Digest, error) {
	if r, err := ref.Parse(name, ref.Options{}); err == nil && r.Kind != ref.Registry {
		if r.Kind != ref.Layout {
			return "", nil, fmt.Errorf("%w: %s is a tarball; signatures go into a layout directory or a registry: write the image with -o DIR, or push it, and sign that", errUsage, r.Path)
		}
		a, err := r.Artifact(ctx, remote.Options{})
		if err != nil {
			return "", nil, err
		}
		signed, err := signature.SignLayout(ctx, r.Path, a, key, opts)
		return r.Path, signed, err
	}
	a, err := remote.Pull(ctx, name, opts.Remote)
	if err != nil {
		return "", nil, err
	}
	signed, err := signature.Sign(ctx, name, a, key, opts)
	if err != nil {
		return "", nil, err
	}
	r, err := remote.ParseReference(name) // parsed by Pull already
	if err != nil {
		return "", nil, err
	}
	return r.Name(), signed, nil
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
