package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/signature"
)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f verifyFlags
	pos, err := cli.Parse(newVerifyFlagSet(&f, stdout, stderr), args, 1, 1, "one SRC[:TAG]")
	if err != nil {
		return err
	}
	name := pos[0]
	if f.keyFile != "" {
		return verifySigned(ctx, name, f.keyFile, signedChecks{f.ann.Values, f.atts.Values}, &f.reg, stdout, stderr)
	}
	if len(f.atts.Values) > 0 {
		return fmt.Errorf("%w: --attestation checks signed attestations: add --key P.pub", errUsage)
	}
	src, tag, err := openSource(ctx, name, &f.reg, stderr)
	if err != nil {
		return err
	}
	var n int
	if d, ok := src.(ref.Local); ok && tag == "" {
		n, err = d.Verify(ctx) // every entry, untagged ones too
	} else {
		var a image.Artifact
		if a, err = src.Artifact(ctx, tag); err == nil {
			n, err = image.Verify(ctx, a)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s verified\n", name, plural(n, "blob"))
	return nil
}

// verifyFlags are the flags of "minimage verify".
type verifyFlags struct {
	reg       registryFlags
	keyFile   string
	ann, atts cli.List
}

func newVerifyFlagSet(f *verifyFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage verify", verifyUsage, stdout, stderr)
	f.reg.register(fs, false)
	fs.StringVar(&f.keyFile, "key", "", "also check that every manifest is signed by the public key in `FILE` (P.pub); SRC is then a registry reference")
	fs.Var(&f.ann, "a", "with --key, count only signatures whose payload holds `KEY=VAL` (repeatable)")
	fs.Var(&f.atts, "attestation", "with --key, also require an attestation of predicate `TYPE` signed by the key: slsaprovenance1, spdxjson, another of cosign's names, or a URI (repeatable)")
	return fs
}

const verifyUsage = `Usage: minimage verify [flags] SRC[:TAG]
       minimage verify --key P.pub [flags] REGISTRY/REPOSITORY[:TAG][@DIGEST]

Checks every blob of SRC against its digest and size, and every layer against
its diffID, attestations and SBOMs included; exits 1 on any mismatch. SRC is an
OCI layout directory or a tarball (every entry, or the one TAG names) or a
registry reference, as inspect and export read it.

With --key, checks an image or index in a registry: each manifest (an index and
each image it lists) must have a signature by the key in cosign's tag scheme whose
payload names that manifest (as cosign verify --key checks), then every blob is read
and checked. With --attestation TYPE, the manifest the reference names must also
have an in-toto attestation of that predicate type signed by the key, about it, in
cosign's tag scheme (as cosign verify-attestation --key --type TYPE checks). Signatures in layouts and tarballs are not supported yet.

Flags:
`

// signedChecks are what verify --key checks beyond the signatures: -a
// and --attestation.
type signedChecks struct{ annotations, attestations []string }

// verifySigned is verify --key: the signatures of ref, its attestations,
// then its blobs.
func verifySigned(ctx context.Context, ref, keyFile string, c signedChecks, rf *registryFlags, stdout, stderr io.Writer) error {
	if _, err := os.Stat(ref); err == nil {
		return fmt.Errorf("%w: --key checks signatures in a registry, and %s is a path; signatures in layouts and tarballs are not supported yet", errUsage, ref)
	}
	key, err := signature.ReadPublicKeyFile(keyFile)
	if err != nil {
		return err
	}
	var opts signature.Options
	if opts.Annotations, err = cli.KeyValues("a", c.annotations); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var types []string
	for _, name := range c.attestations {
		t, err := signature.PredicateType(name)
		if err != nil {
			return fmt.Errorf("%w: --attestation: %v", errUsage, err)
		}
		types = append(types, t)
	}
	if opts.Remote, err = rf.options(stderr); err != nil {
		return err
	}
	v, err := signature.VerifyReference(ctx, ref, key, types, opts)
	if err != nil {
		return err
	}
	var with string
	if len(types) > 0 {
		with = " with attestations " + strings.Join(c.attestations, ", ")
	}
	_, err = fmt.Fprintf(stdout, "%s@%s: %s signed by %s%s, %s verified\n", v.Repository, v.Artifact.Digest(), plural(len(v.Payloads), "manifest"), keyFile, with, plural(v.Blobs, "blob"))
	return err
}
