package registrytest

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
)

// Proxy is a reverse proxy in front of another registry, such as a real
// docker-registry, that injects Faults into the requests it passes on
// and logs them, as a Registry does its own. Its methods are safe for
// concurrent use.
type Proxy struct {
	faults
	srv *httptest.Server
}

// ProxyOptions configure NewProxy. The zero value serves plain HTTP and
// reaches the target with http.DefaultTransport.
type ProxyOptions struct {
	// Transport carries the requests on to the target registry; nil
	// means http.DefaultTransport. Give one that trusts the target's CA.
	Transport http.RoundTripper
	// Certificate, when set, makes the proxy serve HTTPS with it.
	Certificate *tls.Certificate
}

// NewProxy starts a proxy for the test in front of the registry at
// target, its base URL ("https://127.0.0.1:5000"), and stops it when the
// test ends. Requests keep the proxy's Host, so that the upload URLs the
// registry makes lead back through the proxy. When the test ends, it
// fails the test for each fault that never fired, as New does.
func NewProxy(t testing.TB, target string, opts ProxyOptions) *Proxy {
	t.Helper()
	backend, err := url.Parse(target)
	if err != nil || backend.Host == "" {
		t.Fatalf("registrytest: proxy target %q: want a base URL such as https://127.0.0.1:5000 (%v)", target, err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backend)
			r.Out.Host = r.In.Host
		},
		Transport: opts.Transport,
		// A request cut on purpose breaks the call to the target; that
		// is no news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p := &Proxy{}
	p.srv = httptest.NewUnstartedServer(p.wrap(rp))
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if opts.Certificate != nil {
		p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{*opts.Certificate}}
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	t.Cleanup(func() {
		p.srv.Close()
		p.checkFired(t)
	})
	return p
}

// Host returns the proxy's address, "127.0.0.1:PORT", to use in image
// references in place of the target's.
func (p *Proxy) Host() string { return p.srv.Listener.Addr().String() }

// URL returns the proxy's base URL: "http://127.0.0.1:PORT", or https
// with a Certificate.
func (p *Proxy) URL() string { return p.srv.URL }
