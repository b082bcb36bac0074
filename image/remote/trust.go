package remote

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
)

// lazyTLS is the transport a client makes for itself. Requests in plain
// HTTP go out on a transport with no TLS settings at all; the first one
// that needs TLS (an https URL, or a proxy spoken to in TLS) makes the
// other, with the trust of Options: only then is the certificate pool
// built, the costly part of a client (the system roots are some 150
// files on Linux). A registry spoken to in plain HTTP never reads them.
type lazyTLS struct {
	plain *http.Transport
	pems  []pemFile // SSL_CERT_FILE and Options.CAFiles, read already
	skip  bool      // Options.InsecureSkipTLSVerify

	once   sync.Once
	secure atomic.Pointer[http.Transport]
	err    error
}

// pemFile is one file of certificate authorities to trust: its name, for
// messages, and its bytes.
type pemFile struct {
	what, path string
	data       []byte
}

// newLazyTLS reads the extra CA files now, so that one missing or
// holding no certificate is an error before any request, and leaves the
// pool for the first TLS connection. The system pool reads SSL_CERT_FILE
// once per process; reading it here makes a value set later count too.
func newLazyTLS(opts Options) (*lazyTLS, error) {
	t := &lazyTLS{plain: http.DefaultTransport.(*http.Transport).Clone(), skip: opts.InsecureSkipTLSVerify}
	t.plain.MaxIdleConnsPerHost = opts.jobs() + 2
	var files []pemFile
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = append(files, pemFile{what: "SSL_CERT_FILE", path: f})
	}
	for _, f := range opts.CAFiles {
		files = append(files, pemFile{what: "CA file", path: f})
	}
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.what, err)
		}
		if !hasCertificate(data) {
			return nil, noPEM(f)
		}
		f.data = data
		t.pems = append(t.pems, f)
	}
	return t, nil
}

func noPEM(f pemFile) error {
	return fmt.Errorf("%s %s: no PEM certificate in it; give a file of -----BEGIN CERTIFICATE----- blocks", f.what, f.path)
}

// hasCertificate reports whether data holds a PEM CERTIFICATE block,
// without parsing it: that waits for the pool.
func hasCertificate(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" && len(b.Headers) == 0 {
			return true
		}
	}
}

// RoundTrip sends req on the plain transport, or on the TLS one, made
// now if this is the first request to need it.
func (t *lazyTLS) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.needsTLS(req) {
		return t.plain.RoundTrip(req)
	}
	tr, err := t.tls()
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return tr.RoundTrip(req)
}

// needsTLS reports whether req is sent over TLS: to an https URL, or
// through a proxy with one.
func (t *lazyTLS) needsTLS(req *http.Request) bool {
	if req.URL.Scheme != "http" {
		return true
	}
	p, err := t.plain.Proxy(req)
	return err != nil || p != nil && p.Scheme != "http"
}

// tls returns the TLS transport, made on the first call.
func (t *lazyTLS) tls() (*http.Transport, error) {
	t.once.Do(func() {
		pool, err := t.pool()
		if err != nil {
			t.err = err
			return
		}
		tr := t.plain.Clone()
		tr.TLSClientConfig = &tls.Config{
			RootCAs:            pool,
			InsecureSkipVerify: t.skip, // the caller asked, by its own name
			MinVersion:         tls.VersionTLS12,
		}
		t.secure.Store(tr)
	})
	return t.secure.Load(), t.err
}

// pool returns the roots to verify against: nil, which crypto/x509
// reads as the system roots (loaded once per process, when first
// needed), without extra files; else a copy of the system roots with
// the files added. InsecureSkipTLSVerify needs none.
func (t *lazyTLS) pool() (*x509.CertPool, error) {
	if len(t.pems) == 0 || t.skip {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range t.pems {
		if !pool.AppendCertsFromPEM(f.data) {
			return nil, noPEM(f)
		}
	}
	return pool, nil
}

// CloseIdleConnections closes the idle connections of both transports.
func (t *lazyTLS) CloseIdleConnections() {
	t.plain.CloseIdleConnections()
	if tr := t.secure.Load(); tr != nil {
		tr.CloseIdleConnections()
	}
}
