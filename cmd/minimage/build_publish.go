package main

// Build's registry flags: --push, --image-refs, --json, and the
// connection flags push and pull take. build.go registers them
// (f.publish.register) and asks for the base and the outputs they give.

import (
	"crypto/ecdsa"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/signature"
)

// publishFlags are build's flags for registries.
type publishFlags struct {
	push       cli.List
	imageRefs  string
	json       bool
	reg        registryFlags
	signKey    string
	provenance string
	format     signatureFormat
	verifyKey  string

	// Set by prepare: the options for --push and for a --base in a
	// registry, which get --username only when it is the push's registry.
	pushOpts, baseOpts remote.Options
	pushHost           string // the registry of every --push, with --username
	signer             *ecdsa.PrivateKey
}

func (f *publishFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.push, "push", "push the image or index to `REGISTRY/REPO[:TAG]` (repeatable; with or without -o): the digest is the one -o writes")
	fs.StringVar(&f.imageRefs, "image-refs", "", "write each pushed reference, REGISTRY/REPO:TAG@sha256:…, one a line, to `FILE` (- for standard output, in place of the report)")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON on stdout: digest, platforms, outputs, pushed references")
	fs.StringVar(&f.signKey, "sign-key", "", "sign what --push pushes and -o DIR writes (the index and each image) with the cosign private key in `FILE`, as cosign sign --key does, and attach the provenance and SBOMs as signed attestations, as cosign attest does: in a registry in --signature-format's form (.sig and .att tags, or sigstore bundle referrers), in a layout as bundle referrers; the password is $COSIGN_PASSWORD")
	f.format.register(fs)
	fs.StringVar(&f.verifyKey, "verify-key", "", "refuse, before any work, a --base image (registry or layout) not signed by the public key in `FILE`, in either signature form")
	fs.StringVar(&f.provenance, "provenance", "slsa1", "SLSA provenance attached to what --push pushes: slsa1, or none to leave it out (`KIND`)")
	f.reg.registerConnection(fs, true)
}

// prepare checks the flags and works out the registry options: once,
// as --password-stdin reads standard input.
func (f *publishFlags) prepare(stderr io.Writer, quiet, stdoutTarball bool) error {
	if f.imageRefs != "" && len(f.push.Values) == 0 {
		return fmt.Errorf("%w: --image-refs lists pushed references: add --push REGISTRY/REPO:TAG, or use --json for local outputs", errUsage)
	}
	if f.json && stdoutTarball {
		return fmt.Errorf("%w: --json and -o - both want stdout", errUsage)
	}
	if f.imageRefs == "-" && (f.json || stdoutTarball) {
		return fmt.Errorf("%w: --image-refs - and %s both want stdout", errUsage, map[bool]string{true: "--json", false: "-o -"}[f.json])
	}
	f.reg.quiet = quiet
	opts, err := f.reg.options(stderr)
	if err != nil {
		return err
	}
	if f.provenance != "slsa1" && f.provenance != "none" {
		return fmt.Errorf("%w: --provenance %q: want slsa1 or none", errUsage, f.provenance)
	}
	if f.signKey != "" {
		// Before the build, so that a wrong password costs nothing.
		if f.signer, err = readPrivateKey(f.signKey, stderr); err != nil {
			return err
		}
	}
	f.pushOpts, f.baseOpts = opts, opts
	f.baseOpts.Progress = nil
	if opts.Username == "" {
		return nil
	}
	// Credentials given on the command line go to one registry only.
	hosts := map[string]bool{}
	for _, p := range f.push.Values {
		if r, err := remote.ParseReference(p); err == nil {
			hosts[r.Registry] = true
			f.pushHost = r.Registry
		}
	}
	if len(hosts) > 1 {
		return fmt.Errorf("%w: --username logs in to one registry, and --push names %d; log in to each with docker login or podman login instead", errUsage, len(hosts))
	}
	return nil
}

// base opens --base: a path on disk, else a registry reference, read
// with --username only when it is on the registry --push goes to (or
// there is no --push).
func (f *publishFlags) base(ref string) (build.Base, error) {
	opts := f.baseOpts
	if r, err := remote.ParseReference(ref); err == nil && f.pushHost != "" && r.Registry != f.pushHost {
		opts.Username, opts.Password = "", ""
	}
	return build.OpenBaseWith(ref, opts)
}

// pushTags returns the --push references, as tags for the layout and
// tarball outputs when no -t is given: what "-o dist/oci --push
// ghcr.io/me/app:v1" writes, "minimage push dist/oci:v1" finds. A
// reference without a tag gets ":latest", as the push does; one with a
// digest alone names no tag.
func (f *publishFlags) pushTags() []string {
	var tags []string
	for _, p := range f.push.Values {
		r, err := remote.ParseReference(p)
		if err != nil || r.Tag == "" {
			continue // a bad reference is refused before work, by build.Run
		}
		name, _, _ := strings.Cut(p, "@")
		if !strings.HasSuffix(name, ":"+r.Tag) {
			name += ":" + r.Tag
		}
		tags = append(tags, name)
	}
	return tags
}

// outputs returns the --push outputs.
func (f *publishFlags) outputs() []build.Output {
	var outs []build.Output
	for _, p := range f.push.Values {
		outs = append(outs, build.Output{Format: build.Registry, Path: p, Remote: f.pushOpts})
	}
	return outs
}

// apply sets the recipe's signing, base key and provenance.
func (f *publishFlags) apply(r *build.Recipe) error {
	r.Provenance.None = f.provenance == "none"
	if f.verifyKey != "" {
		if r.Base == nil {
			return fmt.Errorf("%w: --verify-key checks the --base image's signatures: add --base", errUsage)
		}
		var err error
		if r.BaseKey, err = signature.ReadPublicKeyFile(f.verifyKey); err != nil {
			return err
		}
	}
	if f.signer == nil {
		if f.format.Format != signature.FormatTag {
			return fmt.Errorf("%w: --signature-format says how --sign-key signs: add --sign-key FILE", errUsage)
		}
		return nil
	}
	for _, o := range r.Outputs {
		if o.Format == build.Registry || o.Format == build.Layout && o.Writer == nil {
			r.Sign.Key, r.Sign.Format = f.signer, f.format.Format
			return nil
		}
	}
	return fmt.Errorf("%w: --sign-key signs what --push pushes and what -o DIR writes: add --push REGISTRY/REPO:TAG or -o DIR", errUsage)
}

// published writes what --json and --image-refs ask for; it reports
// whether --json printed the result, in place of the report.
func (f *publishFlags) published(stdout io.Writer, r build.Recipe, res *build.Result) (bool, error) {
	s := res.Summary(r)
	if err := f.writeImageRefs(stdout, []build.Summary{s}); err != nil || f.imageRefs == "-" {
		return true, err
	}
	if !f.json {
		return false, nil
	}
	return true, s.WriteJSON(stdout)
}

// writeImageRefs writes every pushed reference of the summaries, one a
// line, to --image-refs, if given: a file, or stdout for "-".
func (f *publishFlags) writeImageRefs(stdout io.Writer, sums []build.Summary) error {
	if f.imageRefs == "" {
		return nil
	}
	var refs strings.Builder
	for _, s := range sums {
		for _, p := range s.Pushed {
			refs.WriteString(p.Reference + "\n")
		}
	}
	if f.imageRefs == "-" {
		_, err := io.WriteString(stdout, refs.String())
		return err
	}
	if err := os.WriteFile(f.imageRefs, []byte(refs.String()), 0o644); err != nil {
		return fmt.Errorf("--image-refs: %v", err)
	}
	return nil
}

// writeSummaries writes the summaries of several images as one indented JSON
// array, one object per image.
func writeSummaries(w io.Writer, sums []build.Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sums)
}
