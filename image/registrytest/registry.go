package registrytest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/pki"
	"github.com/minimage/minimage/internal/registry"
)

// Options configure New and Start. The zero value is a registry
// on plain HTTP, without authentication, that accepts pushes and keeps
// blobs up to 4 MiB in memory and larger ones in files.
type Options struct {
	// TLS serves HTTPS, with a certificate for 127.0.0.1, ::1 and
	// localhost from a CA the registry makes; Client, CertPool and CAPEM
	// give what a client needs to trust it.
	TLS bool
	// User and Password, when User is set, are the credentials every
	// request needs: with HTTP basic authentication, or, with
	// BearerToken, to get a token from the registry's token endpoint.
	User, Password string
	// BearerToken makes the registry answer a request without a token
	// with a WWW-Authenticate Bearer challenge, as Docker Hub does: the
	// client gets a token from the realm it names (the registry's
	// /token, GET with basic authentication or POST of an OAuth2
	// password grant) for the scope it names (repository:NAME:pull,push),
	// and the registry accepts that token for that scope only.
	BearerToken bool
	// ReadOnly refuses pushes, mounts and deletes with 405 and code
	// UNSUPPORTED. Preload still works.
	ReadOnly bool
	// MemoryThreshold is the size above which a blob is kept in a file
	// rather than in memory; 0 means 4 MiB.
	MemoryThreshold int64
}

// Registry is an OCI distribution registry (spec 1.1) on a local port,
// for tests: pulls, pushes of every kind, mounts, deletes, tag lists and
// the referrers API, each checked against the spec by the OCI
// conformance suite. It can fail requests on purpose (Fail) and records
// every request (Log). Its methods are safe for concurrent use.
type Registry struct {
	faults

	srv    *httptest.Server
	reg    *registry.Registry
	tmp    string // removed by Close, when StartRegistry made it
	client *http.Client
	caPEM  []byte
	pool   *x509.CertPool
	close  sync.Once
}

// New starts a registry for the test, with files under t.TempDir, and
// stops it when the test ends. It ends the test if the registry cannot
// start. When the test ends, it fails the test for each fault given to
// Fail that no request matched, unless the test failed already.
func New(t testing.TB, opts Options) *Registry {
	t.Helper()
	r, err := startRegistry(opts, t.TempDir())
	if err != nil {
		t.Fatalf("registrytest: %v", err)
	}
	t.Cleanup(func() {
		r.Close()
		r.checkFired(t)
	})
	return r
}

// Start starts a registry as New does, for use outside a test: the
// caller calls Close, and may check Unfired.
func Start(opts Options) (*Registry, error) {
	dir, err := os.MkdirTemp("", "registrytest-")
	if err != nil {
		return nil, fmt.Errorf("registrytest: start registry: %w", err)
	}
	r, err := startRegistry(opts, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r.tmp = dir
	return r, nil
}

func startRegistry(opts Options, dir string) (*Registry, error) {
	store, err := registry.NewMemory(dir, opts.MemoryThreshold)
	if err != nil {
		return nil, fmt.Errorf("registrytest: start registry: %w", err)
	}
	ro := registry.Options{Storage: store, ReadOnly: opts.ReadOnly}
	switch {
	case opts.User != "" && opts.BearerToken:
		ro.Auth = registry.Auth{Scheme: registry.BearerAuth, User: opts.User, Password: opts.Password}
	case opts.User != "":
		ro.Auth = registry.Auth{Scheme: registry.BasicAuth, User: opts.User, Password: opts.Password}
	case opts.BearerToken:
		store.Close()
		return nil, fmt.Errorf("registrytest: start registry: BearerToken needs a User and Password to issue tokens to")
	}
	reg, err := registry.New(ro)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("registrytest: start registry: %w", err)
	}
	r := &Registry{reg: reg}
	r.srv = httptest.NewUnstartedServer(r.wrap(reg))
	r.srv.Config.ErrorLog = log.New(quietWriter{os.Stderr}, "", log.LstdFlags)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if opts.TLS {
		ca, err := pki.NewCA("registrytest CA", 7*24*time.Hour)
		var cert tls.Certificate
		if err == nil {
			_, _, cert, err = ca.ServerCert()
		}
		if err != nil {
			reg.Close()
			return nil, fmt.Errorf("registrytest: start registry: %w", err)
		}
		r.caPEM, r.pool = ca.PEM, ca.Pool()
		r.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		r.srv.StartTLS()
		transport.TLSClientConfig = &tls.Config{RootCAs: r.pool}
	} else {
		r.srv.Start()
	}
	r.client = &http.Client{Transport: transport}
	return r, nil
}

// Close stops the registry and frees what it holds. Close is called by
// the test's cleanup for a registry from New; calling it again
// does nothing.
func (r *Registry) Close() {
	r.close.Do(func() {
		r.srv.Close()
		r.client.CloseIdleConnections()
		r.reg.Close()
		if r.tmp != "" {
			os.RemoveAll(r.tmp)
		}
	})
}

// quietWriter drops the TLS handshake errors that a client which does
// not trust the CA causes, which tests of that cause on purpose.
type quietWriter struct{ w io.Writer }

func (q quietWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("TLS handshake error")) {
		return len(p), nil
	}
	return q.w.Write(p)
}

// Host returns the registry's address, "127.0.0.1:PORT", the part of an
// image reference before the repository: Host()+"/app:v1".
func (r *Registry) Host() string { return r.srv.Listener.Addr().String() }

// URL returns the registry's base URL: "http://127.0.0.1:PORT", or
// https with TLS.
func (r *Registry) URL() string { return r.srv.URL }

// Client returns an HTTP client that trusts the registry's certificate.
// It sends no credentials by itself.
func (r *Registry) Client() *http.Client { return r.client }

// CertPool returns a pool holding the CA of the registry's certificate,
// or nil without TLS.
func (r *Registry) CertPool() *x509.CertPool { return r.pool }

// CAPEM returns the registry's CA certificate in PEM form, for tools that
// read it from a file (such as skopeo's --cert-dir or SSL_CERT_FILE), or
// nil without TLS.
func (r *Registry) CAPEM() []byte { return slices.Clone(r.caPEM) }
