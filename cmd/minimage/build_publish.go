package main

// Build's registry flags: --push, --image-refs, --json, and the
// connection flags push and pull take. build.go registers them
// (f.publish.register) and asks for the base and the outputs they give.

import (
	"context"
	"crypto/ecdsa"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

// publishFlags are build's flags for registries.
type publishFlags struct {
	push      listFlag
	imageRefs string
	json      bool
	reg       registryFlags
	signKey   string

	// Set by prepare: the options for --push and for a --base in a
	// registry, which get --username only when it is the push's registry.
	pushOpts, baseOpts remote.Options
	pushHost           string // the registry of every --push, with --username
	signer             *ecdsa.PrivateKey
}

func (f *publishFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.push, "push", "push the image or index to `REGISTRY/REPO[:TAG]` (repeatable; with or without -o): the digest is the one -o writes")
	fs.StringVar(&f.imageRefs, "image-refs", "", "write each pushed reference, REGISTRY/REPO:TAG@sha256:…, one a line, to `FILE`")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON on stdout: digest, platforms, outputs, pushed references")
	fs.StringVar(&f.signKey, "sign-key", "", "sign what --push pushes (the index and each image) with the cosign private key in `FILE`, as cosign sign --key does; the password is $COSIGN_PASSWORD")
	f.reg.registerConnection(fs, true)
}

// prepare checks the flags and works out the registry options: once,
// as --password-stdin reads standard input.
func (f *publishFlags) prepare(stderr io.Writer, quiet, stdoutTarball bool) error {
	if f.imageRefs != "" && len(f.push.values) == 0 {
		return fmt.Errorf("%w: --image-refs lists pushed references: add --push REGISTRY/REPO:TAG, or use --json for local outputs", errUsage)
	}
	if f.json && stdoutTarball {
		return fmt.Errorf("%w: --json and -o - both want stdout", errUsage)
	}
	f.reg.quiet = quiet
	opts, err := f.reg.options(stderr)
	if err != nil {
		return err
	}
	if f.signKey != "" {
		if len(f.push.values) == 0 {
			return fmt.Errorf("%w: --sign-key signs what --push pushes: add --push REGISTRY/REPO:TAG", errUsage)
		}
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
	for _, p := range f.push.values {
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

// outputs returns the --push outputs.
func (f *publishFlags) outputs() []build.Output {
	var outs []build.Output
	for _, p := range f.push.values {
		outs = append(outs, build.Output{Format: build.Registry, Path: p, Remote: f.pushOpts})
	}
	return outs
}

// sign signs a where --push pushed it, with --sign-key.
func (f *publishFlags) sign(ctx context.Context, a image.Artifact, stderr io.Writer) error {
	if f.signer == nil {
		return nil
	}
	opts := signature.Options{Remote: f.pushOpts}
	opts.Remote.Progress = nil
	for _, ref := range f.push.values {
		signed, err := signature.Sign(ctx, ref, a, f.signer, opts)
		if err != nil {
			return err
		}
		if !f.reg.quiet {
			fmt.Fprintf(stderr, "minimage: signed %s in %s\n", plural(len(signed), "manifest"), repositoryOf(ref))
		}
	}
	return nil
}

// published writes what --json and --image-refs ask for; it reports
// whether --json printed the result, in place of the report.
func (f *publishFlags) published(stdout io.Writer, r build.Recipe, res *build.Result) (bool, error) {
	s := res.Summary(r)
	if f.imageRefs != "" {
		var refs strings.Builder
		for _, p := range s.Pushed {
			refs.WriteString(p.Reference + "\n")
		}
		if err := os.WriteFile(f.imageRefs, []byte(refs.String()), 0o644); err != nil {
			return false, fmt.Errorf("--image-refs: %v", err)
		}
	}
	if !f.json {
		return false, nil
	}
	return true, s.WriteJSON(stdout)
}
