package main

import (
	"context"
	"crypto/ecdsa"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/signature"
)

func runVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f verifyFlags
	f.reg.stdin = stdin
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
	fs.StringVar(&f.keyFile, "key", "", "also check that every manifest is signed by the public key in `FILE` (P.pub); SRC is then a registry reference or a layout")
	fs.Var(&f.ann, "a", "with --key, count only signatures whose payload holds `KEY=VAL` (repeatable)")
	fs.Var(&f.atts, "attestation", "with --key, also require an attestation of predicate `TYPE` signed by the key: slsaprovenance1, spdxjson, another of cosign's names, or a URI (repeatable)")
	return fs
}

const verifyUsage = `Usage: minimage verify [flags] SRC[:TAG]
       minimage verify --key P.pub [flags] REGISTRY/REPOSITORY[:TAG][@DIGEST]|DIR[:TAG]

Checks every blob of SRC against its digest and size, and every layer against
its diffID, attestations and SBOMs included; exits 1 on any mismatch. SRC is an
OCI layout directory or a tarball (every entry, or the one TAG names) or a
registry reference, as inspect and export read it.

With --key, checks an image or index in a registry or an OCI layout: each manifest
(an index and each image it lists) must have a signature by the key that names that
manifest (as cosign verify --key checks), then every blob is read and checked. In a
registry the signature may be in cosign's tag scheme (sha256-HEX.sig) or a sigstore
bundle referrer (cosign v3's); in a layout, a bundle referrer (minimage sign, build
-o DIR --sign-key). With --attestation TYPE, the manifest the reference names must
also have an in-toto attestation of that predicate type signed by the key, about it
(as cosign verify-attestation --key --type TYPE checks): in a registry in cosign's
tag scheme (sha256-HEX.att) or a sigstore bundle referrer, in a layout a bundle
referrer (build -o DIR --sign-key). Signatures in tarballs are not supported.

Flags:
`

// signedChecks are what verify --key checks beyond the signatures: -a
// and --attestation.
type signedChecks struct{ annotations, attestations []string }

// verifySigned is verify --key: the signatures of ref, its attestations,
// then its blobs.
func verifySigned(ctx context.Context, name, keyFile string, c signedChecks, rf *registryFlags, stdout, stderr io.Writer) error {
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
	var with string
	if len(types) > 0 {
		with = " with attestations " + strings.Join(c.attestations, ", ")
	}
	if r, err := ref.Parse(name, ref.Options{}); err == nil && r.Kind != ref.Registry {
		if r.Kind != ref.Layout {
			return fmt.Errorf("%w: --key checks the signatures of an OCI layout or a registry, not a tarball: %s", errUsage, name)
		}
		return verifyLayoutSigned(ctx, r, key, types, opts, stdout, "signed by "+keyFile+with)
	}
	if opts.Remote, err = rf.options(stderr); err != nil {
		return err
	}
	v, err := signature.VerifyReference(ctx, name, key, types, opts)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s@%s: %s signed by %s%s, %s verified\n", v.Repository, v.Artifact.Digest(), plural(len(v.Payloads), "manifest"), keyFile, with, plural(v.Blobs, "blob"))
	return err
}

// verifyLayoutSigned is verify --key of DIR[:TAG]: the bundle referrers
// of each manifest in the layout, the attestations of types, then every
// blob; signed says by what, for the line printed.
func verifyLayoutSigned(ctx context.Context, r ref.Ref, key *ecdsa.PublicKey, types []string, opts signature.Options, stdout io.Writer, signed string) error {
	a, err := r.Artifact(ctx, remote.Options{})
	if err != nil {
		return err
	}
	l, err := layout.Read(r.Path)
	if err != nil {
		return err
	}
	ps, err := signature.VerifyLayout(ctx, l, a, key, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Name, err)
	}
	for _, t := range types {
		if _, err := signature.VerifyLayoutAttestation(ctx, l, a, key, t); err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
	}
	n, err := image.Verify(ctx, a)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s@%s: %s %s, %s verified\n", r.Name, a.Digest(), plural(len(ps), "manifest"), signed, plural(n, "blob"))
	return err
}
