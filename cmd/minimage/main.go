// Command minimage builds minimal OCI images for Go programs, with no
// container engine.
//
//	minimage build [flags] TARGET       build an image of a Go package or binary
//	minimage inspect [flags] SRC[:TAG]  show an image, its layers and files
//	minimage export [flags] SRC[:TAG]   write an image's flattened filesystem as a tar
//	minimage verify SRC[:TAG]           check every blob of an image or index
//	minimage verify --key P.pub REF     check an image's signatures and blobs (registry, layout)
//	minimage push SRC[:TAG] DST         push a layout's or tarball's image to a registry
//	minimage pull SRC -o DIR|FILE.tar   pull an image from a registry
//	minimage key generate               write a cosign key pair
//	minimage sign --key FILE REF        sign an image in a registry or layout, as cosign does
//	minimage index create REF SRC...    merge images into one index
//	minimage registry serve             serve an OCI registry, for tests
//
// Install it with
//
//	go install github.com/minimage/minimage/cmd/minimage@latest
//
// or run it from a clone with go run ./cmd/minimage. Run "minimage build
// -h" for the build flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/tzdata"
)

const usage = `minimage builds minimal OCI images for Go programs, with no container engine.

Usage:
  minimage build [flags] TARGET          build an image; TARGET is a Go package or a binary
  minimage inspect [flags] SRC[:TAG]     show an image or index: tags, platforms, config, layers, files
  minimage export [flags] SRC[:TAG] -o F show an image's flattened filesystem as one tar (F: FILE.tar or -)
  minimage verify [flags] SRC[:TAG]      check every blob and digest of an image or index
  minimage verify --key P.pub REF        check an image's signatures and blobs (registry, layout)
  minimage push [flags] SRC[:TAG] REF    push an image or index to a registry
  minimage pull [flags] REF -o DIR|F.tar pull an image or index from a registry
  minimage key generate                  write a cosign key pair, P.key and P.pub
  minimage sign --key FILE REF...        sign images (registry, layout), as cosign sign --key does
  minimage index create REF SRC...       make one index of images and indexes
  minimage registry serve [flags]        run a registry, for tests
  minimage version                       print the version

SRC is an OCI layout directory, a tarball (docker save, podman save, skopeo, minimage build -o F.tar)
or, for inspect, export and verify, a registry reference.
Run "minimage COMMAND --help" for a command's flags.
`

func main() {
	// SIGTERM (what docker stop, systemd and CI runners send) stops a
	// build as Ctrl-C does: go build is interrupted, temporary files are
	// removed, outputs keep what they held. A second signal kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks errors after which the usage is printed.
var errUsage = cli.ErrUsage

// commands are the commands run knows, for "did you mean".
var commands = []string{"build", "inspect", "export", "verify", "push", "pull", "index", "key", "sign", "registry", "version", "help"}

// run executes one command line and returns the exit code: 0 on success,
// 1 on failure, 2 on a usage error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "build":
		err = runBuild(ctx, args[1:], stdin, stdout, stderr)
	case "inspect":
		err = runInspect(ctx, args[1:], stdin, stdout, stderr)
	case "export":
		err = runExport(ctx, args[1:], stdin, stdout, stderr)
	case "push":
		err = runPush(ctx, args[1:], stdin, stdout, stderr)
	case "pull":
		err = runPull(ctx, args[1:], stdin, stdout, stderr)
	case "key":
		err = runKey(ctx, args[1:], stdin, stdout, stderr)
	case "sign":
		err = runSign(ctx, args[1:], stdin, stdout, stderr)
	case "index":
		err = runIndex(ctx, args[1:], stdin, stdout, stderr)
	case "registry":
		err = runRegistry(ctx, args[1:], stdin, stdout, stderr)
	case "verify":
		err = runVerify(ctx, args[1:], stdin, stdout, stderr)
	case "version", "-version", "--version":
		writeVersion(stdout, buildInfo())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		if s := cli.Suggest(args[0], commands); s != "" {
			fmt.Fprintf(stderr, "minimage: unknown command %q; did you mean %q?\n", args[0], s)
		} else {
			fmt.Fprintf(stderr, "minimage: unknown command %q\n\n%s", args[0], usage)
		}
		return 2
	}
	if err != nil && ctx.Err() != nil {
		// Say which signal stopped the command, not "context canceled".
		err = context.Cause(ctx)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "minimage %s: %s\n%s", args[0], strings.TrimPrefix(err.Error(), errUsage.Error()+": "), usageHint(args[0]))
		return 2
	default:
		fmt.Fprintf(stderr, "minimage %s: %s\n", args[0], flagWords(err))
		return 1
	}
}

// flagWords is err's message in the command line's words: a registry
// error's fix names flags, not remote.Options fields; a dynamically
// linked binary's, --allow-dynamic and --base; an unknown zone's,
// --zones or --localtime.
func flagWords(err error) string {
	var re *remote.Error
	var de *gobinary.DynamicError
	var ze *tzdata.NoZoneError
	switch {
	case errors.As(err, &ze):
		flag := "--zones"
		if ze.What == "localtime" {
			flag = "--localtime"
		}
		return fmt.Sprintf("%s %q: no zone of release %s matches it; zones are named as in /usr/share/zoneinfo, such as Europe/Paris, or by a glob such as Europe/*", flag, ze.Name, tzdata.Release)
	case errors.As(err, &de):
		return fmt.Sprintf("%s is dynamically linked (interpreter %s), and minimal images hold no C library: rebuild it with CGO_ENABLED=0, or give --allow-dynamic with a --base that holds its C library", de.Name, de.Interpreter)
	case !errors.As(err, &re):
		return err.Error()
	}
	flags := map[string]string{"InsecureAllowHTTP": "--insecure-allow-http", "CAFiles": "--ca-file", "Username": "--username and --password-stdin"}
	return strings.Replace(err.Error(), re.Error(), re.Message(func(f string) string { return flags[f] }), 1)
}

// usageHint follows a usage error's one line.
func usageHint(cmd string) string {
	return fmt.Sprintf("run 'minimage %s --help' for usage\n", cmd)
}
