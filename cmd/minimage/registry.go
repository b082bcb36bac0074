package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/minimage/minimage/internal/registry"
)

const registryUsage = `Usage: minimage registry serve [flags]

Serves an OCI distribution registry (spec 1.1) until interrupted, for tests
and tools that need one: pulls, pushes, mounts, deletes, tag lists and the
referrers API. It prints the address it listens on, HOST:PORT, as the first
line of its output. Without --dir it keeps everything in memory (blobs over
4 MiB in temporary files) and forgets it on exit.

Flags:
`

// runRegistry runs "minimage registry serve".
func runRegistry(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("minimage registry serve", registryUsage, stdout, stderr)
	address := fs.String("address", "127.0.0.1:5000", "`HOST:PORT` to listen on; port 0 picks a free one")
	dir := fs.String("dir", "", "keep blobs, manifests and tags in `DIR`, which a later run serves again")
	readOnly := fs.Bool("read-only", false, "refuse pushes and deletes (405 UNSUPPORTED)")
	user := fs.String("user", "", "require this `USER` (and --password) on every request")
	password := fs.String("password", "", "the password of --user")
	bearer := fs.Bool("token-auth", false, "with --user: bearer-token auth through the registry's /token endpoint, instead of basic auth")
	if len(args) == 0 || args[0] != "serve" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, registryUsage)
			printFlags(stdout, fs)
			return flag.ErrHelp
		}
		fs.Usage()
		return fmt.Errorf("%w: want \"minimage registry serve [flags]\"", errUsage)
	}
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if len(pos) > 0 {
		fs.Usage()
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	opts := registry.Options{ReadOnly: *readOnly}
	switch {
	case *user != "" && *password == "":
		// An empty password would let anyone in who sends one.
		return fmt.Errorf("%w: --user %s needs a password: set --password", errUsage, *user)
	case *user != "" && *bearer:
		opts.Auth = registry.Auth{Scheme: registry.BearerAuth, User: *user, Password: *password}
	case *user != "":
		opts.Auth = registry.Auth{Scheme: registry.BasicAuth, User: *user, Password: *password}
	case *bearer || *password != "":
		return fmt.Errorf("%w: --token-auth and --password need --user", errUsage)
	}
	where := "in memory"
	if *dir != "" {
		s, err := registry.NewDir(*dir)
		if err != nil {
			return err
		}
		opts.Storage, where = s, "in "+*dir
	}
	reg, err := registry.New(opts)
	if err != nil {
		return err
	}
	defer reg.Close()
	ln, err := net.Listen("tcp", *address)
	if err != nil {
		return fmt.Errorf("listen: %w (pick another --address, or port 0 for a free one)", err)
	}
	srv := &http.Server{Handler: reg, ReadHeaderTimeout: 30 * time.Second}
	fmt.Fprintln(stdout, ln.Addr().String())
	fmt.Fprintf(stderr, "minimage registry: serving http://%s/v2/, %s; interrupt to stop\n", ln.Addr(), where)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	<-done
	return nil
}
