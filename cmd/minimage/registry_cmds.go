package main

// The registry commands, push and pull, and the flags they share. main.go
// dispatches to them:
//
//	case "push":
//		err = runPush(ctx, args[1:], stdout, stderr)
//	case "pull":
//		err = runPull(ctx, args[1:], stdout, stderr)

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/signature"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// registryFlags are the flags every command that talks to a registry
// takes: push, pull, and build's --push and --base.
type registryFlags struct {
	caFiles       cli.List
	allowHTTP     bool
	skipVerify    bool
	username      string
	passwordStdin bool
	retries       int
	jobs          int
	timeout       time.Duration
	quiet         bool
	stdin         io.Reader // what --password-stdin reads: the command's standard input
}

// register registers the connection flags and -q, --quiet.
func (f *registryFlags) register(fs *flag.FlagSet, uploads bool) {
	f.registerConnection(fs, uploads)
	for _, n := range []string{"q", "quiet"} {
		fs.BoolVar(&f.quiet, n, false, "print nothing on stderr but errors")
	}
}

// registerConnection registers the flags but -q, which build has;
// --jobs only where the command uploads (uploads), as it bounds uploads.
func (f *registryFlags) registerConnection(fs *flag.FlagSet, uploads bool) {
	fs.Var(&f.caFiles, "ca-file", "trust the certificate authorities in this PEM `file` too (repeatable; SSL_CERT_FILE works as well)")
	fs.BoolVar(&f.allowHTTP, "insecure-allow-http", false, "talk plain HTTP to the registry: no TLS at all")
	fs.BoolVar(&f.skipVerify, "insecure-skip-tls-verify", false, "accept any TLS certificate the registry shows")
	fs.StringVar(&f.username, "username", "", "log in as `user` (with --password-stdin); without it, credentials come from docker's and podman's files")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.IntVar(&f.retries, "retries", remote.DefaultRetries, "retry a failed request or blob `n` times (0: never)")
	f.jobs = remote.DefaultJobs
	if uploads {
		fs.IntVar(&f.jobs, "jobs", remote.DefaultJobs, "upload `n` blobs at once")
	}
	fs.DurationVar(&f.timeout, "timeout", 0, "give up on the registry after `duration`, such as 10m: for pull the whole command, for push and build each push and pull (0: no bound; a registry that stops answering fails anyway)")
}

// options turns the flags into remote.Options, with one remote.Mounts
// for the command: a --base pulled from a registry is mounted, not
// uploaded, where --push sends the image to that registry.
func (f *registryFlags) options(stderr io.Writer) (remote.Options, error) {
	o := remote.Options{
		CAFiles:               f.caFiles.Values,
		InsecureAllowHTTP:     f.allowHTTP,
		InsecureSkipTLSVerify: f.skipVerify,
		Retries:               f.retries,
		Jobs:                  f.jobs,
		Mounts:                remote.NewMounts(),
		Timeout:               f.timeout,
	}
	if f.retries == 0 {
		o.Retries = -1 // remote's 0 means its default
	}
	if f.allowHTTP && f.skipVerify {
		return o, fmt.Errorf("%w: --insecure-allow-http speaks plain HTTP, which has no certificate to skip; drop --insecure-skip-tls-verify", errUsage)
	}
	if f.retries < 0 || f.jobs < 1 || f.timeout < 0 {
		return o, fmt.Errorf("%w: --retries takes 0 or more, --jobs 1 or more, --timeout a duration of 0 or more", errUsage)
	}
	switch {
	case f.passwordStdin && f.username == "":
		return o, fmt.Errorf("%w: --password-stdin needs --username", errUsage)
	case f.username != "" && !f.passwordStdin:
		return o, fmt.Errorf("%w: --username needs --password-stdin (a password is never a flag, so that it stays out of ps and shell history)", errUsage)
	case f.username != "":
		line, err := firstLine(f.stdin)
		if err != nil {
			return o, fmt.Errorf("--password-stdin: %v", err)
		}
		o.Username, o.Password = f.username, line
		if o.Password == "" {
			return o, fmt.Errorf("%w: --password-stdin: standard input holds no password", errUsage)
		}
	}
	if !f.quiet {
		o.Progress = build.NewProgressPrinter(stderr, "minimage: ", false).Remote
	}
	return o, nil
}

const pushUsage = `Usage: minimage push [flags] SRC[:TAG] REGISTRY/REPOSITORY[:TAG]

Push the image or index tagged TAG in SRC, an OCI layout directory or a
tarball (TAG may be left out when SRC holds one entry), to a registry, and
print REGISTRY/REPOSITORY[:TAG]@sha256:… on stdout, then a line for each
--tag. The digest pushed is the one in SRC. Only what the registry lacks
is sent; each --tag costs one request.

Flags:
`

// pushedRef is one pushed reference, as --json and --image-refs give it.
type pushedRef struct {
	build.PushedSummary
	// Tagged are the same digest under each more tag, push's --tag.
	Tagged []string `json:"tagged,omitempty"`
}

// pushFlags are the flags of "minimage push".
type pushFlags struct {
	reg       registryFlags
	imageRefs string
	json      bool
	tags      cli.List
}

func newPushFlagSet(f *pushFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage push", pushUsage, stdout, stderr)
	f.reg.register(fs, true)
	fs.StringVar(&f.imageRefs, "image-refs", "", "also write the pushed reference with its digest to `file` (- for standard output, where it goes anyway)")
	fs.BoolVar(&f.json, "json", false, "print the pushed reference as JSON")
	f.tags.Split = true
	for _, n := range []string{"t", "tag"} {
		fs.Var(&f.tags, n, "also tag it `TAG` in the same repository (repeatable, or a comma-separated list)")
	}
	return fs
}

func runPush(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f pushFlags
	f.reg.stdin = stdin
	pos, err := cli.Parse(newPushFlagSet(&f, stdout, stderr), args, 2, 2, "SRC[:TAG] and REGISTRY/REPOSITORY[:TAG]")
	if err != nil {
		return err
	}
	opts, err := f.reg.options(stderr)
	if err != nil {
		return err
	}
	a, err := openArtifact(ctx, pos[0])
	if err != nil {
		return err
	}
	desc, err := remote.Push(ctx, pos[1], a, opts, f.tags.Values...)
	if err != nil {
		return err
	}
	if err := pushLayoutReferrers(ctx, pos[0], pos[1], a, opts, f.reg.quiet, stderr); err != nil {
		return err
	}
	return printPushed(stdout, f.imageRefs, f.json, pos[1], desc, f.tags.Values)
}

// printPushed prints ref@digest, and the same for each more tag, on
// stdout (as JSON with asJSON) and into the file imageRefs when set.
func printPushed(stdout io.Writer, imageRefs string, asJSON bool, ref string, desc ocispec.Descriptor, tags []string) error {
	out := pushedRef{PushedSummary: build.PushedSummary{Reference: build.PushedReference(ref, desc.Digest), Digest: desc.Digest, MediaType: desc.MediaType, Size: desc.Size}}
	lines := []string{out.Reference}
	r, err := remote.ParseReference(ref)
	if err != nil {
		return err // it was pushed to: it parses
	}
	for _, t := range tags {
		if tagged := r.Name() + ":" + t + "@" + out.Digest.String(); !slices.Contains(lines, tagged) {
			lines = append(lines, tagged)
			out.Tagged = append(out.Tagged, tagged)
		}
	}
	if imageRefs == "-" && asJSON {
		return fmt.Errorf("%w: --image-refs - and --json both want stdout", errUsage)
	}
	if imageRefs != "" && imageRefs != "-" { // "-": stdout, which gets the lines anyway
		if err := os.WriteFile(imageRefs, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return fmt.Errorf("--image-refs: %v", err)
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	_, err = fmt.Fprintln(stdout, strings.Join(lines, "\n"))
	return err
}

// openArtifact opens PATH[:TAG]: an OCI layout directory or a tarball.
func openArtifact(ctx context.Context, src string) (image.Artifact, error) {
	r, err := ref.Parse(src, ref.Options{Local: true})
	if err != nil {
		return nil, err
	}
	return r.Artifact(ctx, remote.Options{})
}

const pullUsage = `Usage: minimage pull [flags] REGISTRY/REPOSITORY[:TAG][@DIGEST] -o DIR|FILE.tar

Pull an image or index from a registry into an OCI layout directory or a
tarball (a name ending in .tar), every blob checked against its digest and
the manifests kept as stored, so the digest is the registry's. With
--platform, only that platform's image is pulled. With --verify-key, each
manifest pulled must be signed by the key, as minimage verify --key checks.

Flags:
`

// pullFlags are the flags of "minimage pull".
type pullFlags struct {
	reg                           registryFlags
	out, platform, tag, verifyKey string
}

func newPullFlagSet(f *pullFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage pull", pullUsage, stdout, stderr)
	f.reg.register(fs, false)
	for _, n := range []string{"o", "output"} {
		fs.StringVar(&f.out, n, "", "write to `PATH`: a layout directory, or a tarball when it ends in .tar")
	}
	fs.StringVar(&f.platform, "platform", "", "pull only the image for `os/arch[/variant]`, such as linux/arm64")
	for _, n := range []string{"t", "tag"} {
		fs.StringVar(&f.tag, n, "", "name the image `tag` in the output (default: the reference's repository and tag)")
	}
	fs.StringVar(&f.verifyKey, "verify-key", "", "refuse, before writing anything, an image whose manifests are not all signed by the public key in `FILE` (cosign's .sig tags or sigstore bundle referrers)")
	return fs
}

func runPull(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f pullFlags
	f.reg.stdin = stdin
	pos, err := cli.Parse(newPullFlagSet(&f, stdout, stderr), args, 1, 1, "one REGISTRY/REPOSITORY[:TAG]")
	if err != nil {
		return err
	}
	src, rf := pos[0], &f.reg
	if f.out == "" {
		return fmt.Errorf("%w: no output; add -o DIR (an OCI layout) or -o FILE.tar", errUsage)
	}
	out, err := parseOutput(f.out)
	if err != nil {
		return err
	}
	p, err := parsePlatform(f.platform)
	if err != nil {
		return err
	}
	opts, err := rf.options(stderr)
	if err != nil {
		return err
	}
	if rf.timeout > 0 {
		// The layers are read as the output is written: bound that too.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, rf.timeout, fmt.Errorf("gave up after --timeout %v: %w", rf.timeout, remote.ErrTimeout))
		defer cancel()
	}
	var a image.Artifact
	switch {
	case f.verifyKey != "":
		var key *ecdsa.PublicKey
		if key, err = signature.ReadPublicKeyFile(f.verifyKey); err == nil {
			a, err = signature.PullVerified(ctx, src, p, key, signature.Options{Remote: opts})
		}
	case p != (image.Platform{}):
		a, err = remote.PullImage(ctx, src, p, opts)
	default:
		a, err = remote.Pull(ctx, src, opts)
	}
	if err != nil {
		return err
	}
	name := f.tag
	if name == "" {
		name = outputTag(src)
	}
	if !rf.quiet {
		fmt.Fprintf(stderr, "minimage: pulled %s (%s)\n", src, a.Digest())
	}
	if out.Format == build.Tarball {
		err = tarball.WriteFile(ctx, out.Path, a, tarball.Options{Tags: []string{name}})
	} else {
		err = layout.Write(ctx, out.Path, a, layout.Options{Tags: []string{name}, RemoveOnError: true})
	}
	if err != nil {
		if cause := context.Cause(ctx); ctx.Err() != nil && errors.Is(cause, remote.ErrTimeout) && !errors.Is(err, remote.ErrTimeout) {
			return fmt.Errorf("pull %s: %w", src, cause)
		}
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s@%s\n", strings.SplitN(src, "@", 2)[0], a.Digest())
	return err
}

// outputTag names a pulled artifact by its repository and tag ("latest"
// without one), in a layout as in a tarball: the tag alone goes into
// ref.name (skopeo's oci:DIR:v1), the full name beside it (what docker
// load shows).
func outputTag(src string) string {
	name := strings.SplitN(src, "@", 2)[0]
	if strings.LastIndexByte(name, ':') > strings.LastIndexByte(name, '/') {
		return name
	}
	return name + ":latest"
}
