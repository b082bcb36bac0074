package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/internal/registry"
)

const registryUsage = `Usage: minimage registry serve [flags]

Serves an OCI distribution registry (spec 1.1) until interrupted, for tests
and tools that need one: pulls, pushes, mounts, deletes, tag lists and the
referrers API. It prints the address it listens on, HOST:PORT, as the first
line of its output. Without --dir it keeps everything in memory (blobs over
4 MiB in temporary files) and forgets it on exit. With --user, every request
needs that user and its password, which --password-file or --password-stdin
gives; on an address other than loopback that needs TLS (--tls-cert and
--tls-key), or --insecure-http-credentials to send them in clear. Uploads in
progress hold at most 64 MiB of memory together (more goes to files), 1024
sessions at once (256 per client address), and are dropped after 10 minutes
idle. It is for tests and CI, not a production registry.

Flags:
`

// serveFlags are the flags of "minimage registry serve".
type serveFlags struct {
	address string
	opts    registry.Options
	serve   registry.ServeOptions
	auth    authFlags
}

func newServeFlagSet(f *serveFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage registry serve", registryUsage, stdout, stderr)
	fs.StringVar(&f.address, "address", "127.0.0.1:5000", "`HOST:PORT` to listen on; port 0 picks a free one")
	fs.StringVar(&f.opts.Dir, "dir", "", "keep blobs, manifests and tags in `DIR`, which a later run serves again")
	fs.BoolVar(&f.opts.ReadOnly, "read-only", false, "refuse pushes and deletes (405 UNSUPPORTED)")
	fs.IntVar(&f.serve.MaxConnections, "max-connections", 256, "serve at most `N` connections at once; more wait to be accepted")
	fs.Var((*sizeFlag)(&f.opts.MaxBlobSize), "max-blob-size", "refuse a blob over `SIZE` bytes (413); KiB, MiB, GiB or TiB may follow the number; 0: no limit")
	a, so := &f.auth, &f.serve
	fs.StringVar(&a.user, "user", "", "require this `USER` and its password (--password-file or --password-stdin) on every request")
	fs.StringVar(&a.passwordFile, "password-file", "", "read the password of --user from the first line of `FILE`")
	fs.BoolVar(&a.passwordStdin, "password-stdin", false, "read the password of --user from the first line of standard input")
	fs.StringVar(&a.password, "password", "", "the password of --user, for tests only: a flag shows in ps and shell history")
	fs.BoolVar(&a.bearer, "token-auth", false, "with --user: bearer-token auth through the registry's /token endpoint, instead of basic auth")
	fs.StringVar(&so.CertFile, "tls-cert", "", "serve HTTPS with the certificate (chain) in PEM `FILE`; needs --tls-key")
	fs.StringVar(&so.KeyFile, "tls-key", "", "the private key of --tls-cert, in PEM `FILE`")
	fs.BoolVar(&so.InsecureHTTPCredentials, "insecure-http-credentials", false, "with --user and no TLS, serve on an address other than loopback anyway: the password and tokens cross the network in clear")
	return fs
}

// runRegistry runs "minimage registry serve".
func runRegistry(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f serveFlags
	f.auth.stdin = stdin
	fs := newServeFlagSet(&f, stdout, stderr)
	if len(args) == 0 || args[0] != "serve" {
		if _, err := cli.Parse(fs, args, 0, -1, ""); err != nil {
			return err // -h, or a bad flag
		}
		return fmt.Errorf("%w: want \"minimage registry serve [flags]\"", errUsage)
	}
	if _, err := cli.Parse(fs, args[1:], 0, 0, "no arguments"); err != nil {
		return err
	}
	opts, so := f.opts, f.serve
	if so.MaxConnections < 1 {
		return fmt.Errorf("%w: --max-connections takes 1 or more", errUsage)
	}
	var err error
	if opts.Auth, err = f.auth.auth(fs); err != nil {
		return err
	}
	reg, err := registry.New(opts)
	if err != nil {
		return err
	}
	defer reg.Close()
	if (so.CertFile == "") != (so.KeyFile == "") {
		return fmt.Errorf("%w: --tls-cert and --tls-key go together: give both, or neither for plain HTTP", errUsage)
	}
	so.ErrorLog = log.New(stderr, "minimage registry: ", 0)
	srv, err := reg.Listen(f.address, so)
	var opErr *net.OpError
	switch {
	case errors.Is(err, registry.ErrCredentialsInClear):
		return fmt.Errorf("%w: --user on %s over plain HTTP would send the password and tokens in clear to the network: give --tls-cert and --tls-key, listen on a loopback address such as 127.0.0.1, or pass --insecure-http-credentials on a network you trust", errUsage, f.address)
	case errors.As(err, &opErr):
		return fmt.Errorf("%w (pick another --address, or port 0 for a free one)", err)
	case err != nil:
		return err
	}
	fmt.Fprintln(stdout, srv.Addr().String())
	where := "in memory"
	if opts.Dir != "" {
		where = "in " + opts.Dir
	}
	fmt.Fprintf(stderr, "minimage registry: serving %s/v2/, %s; interrupt to stop\n", srv.URL(), where)
	return srv.Serve(ctx)
}

// sizeFlag is a flag.Value of a size in bytes, as registry.ParseSize
// reads it.
type sizeFlag int64

func (f *sizeFlag) String() string { return strconv.FormatInt(int64(*f), 10) }

func (f *sizeFlag) Set(s string) error {
	n, err := registry.ParseSize(s)
	if err == nil {
		*f = sizeFlag(n)
	}
	return err
}

// authFlags are the flags of "registry serve" that set its authentication.
type authFlags struct {
	user, password, passwordFile string
	passwordStdin, bearer        bool
	stdin                        io.Reader // what --password-stdin reads
}

// auth returns the registry.Auth the flags of fs ask for. The password
// comes from exactly one of --password-file, --password-stdin and
// --password, and is not empty: an empty one would let anyone in.
func (a authFlags) auth(fs *flag.FlagSet) (registry.Auth, error) {
	var sources []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "password" || f.Name == "password-file" || f.Name == "password-stdin" && a.passwordStdin {
			sources = append(sources, "--"+f.Name)
		}
	})
	switch {
	case a.user == "" && (a.bearer || len(sources) > 0):
		return registry.Auth{}, fmt.Errorf("%w: --token-auth and the password flags need --user", errUsage)
	case a.user == "":
		return registry.Auth{}, nil
	case len(sources) == 0:
		return registry.Auth{}, fmt.Errorf("%w: --user %s needs a password: give it with --password-file FILE or --password-stdin", errUsage, a.user)
	case len(sources) > 1:
		return registry.Auth{}, fmt.Errorf("%w: %s: give the password one way", errUsage, strings.Join(sources, " and "))
	}
	password, err := a.readPassword(sources[0])
	if err != nil {
		return registry.Auth{}, err
	}
	if password == "" {
		// An empty password would let anyone in who sends one.
		return registry.Auth{}, fmt.Errorf("%w: %s: the password of --user %s is empty; set a password", errUsage, sources[0], a.user)
	}
	scheme := registry.BasicAuth
	if a.bearer {
		scheme = registry.BearerAuth
	}
	return registry.Auth{Scheme: scheme, User: a.user, Password: password}, nil
}

// readPassword returns the password of source, a flag: for
// --password-file and --password-stdin, the first line without its line
// ending.
func (a authFlags) readPassword(source string) (string, error) {
	var rd io.Reader
	switch source {
	case "--password-file":
		f, err := os.Open(a.passwordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		rd = f
	case "--password-stdin":
		rd = a.stdin
	default:
		return a.password, nil
	}
	line, err := firstLine(rd)
	if err != nil {
		return "", fmt.Errorf("%s: %w", source, err)
	}
	return line, nil
}

// firstLine reads r's first line, without its line ending: how
// --password-stdin and --password-file give a password.
func firstLine(r io.Reader) (string, error) {
	if r == nil {
		return "", nil // no standard input: no password
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
