package registrytest

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// FaultProxy is a TLS reverse proxy in front of a Docker registry that
// breaks the requests its faults match: it answers them with a status
// (503, 429 with Retry-After) or cuts the connection part-way through a
// blob. Requests no fault matches pass through untouched.
type FaultProxy struct {
	Host string // 127.0.0.1:PORT of the proxy

	rp  *httputil.ReverseProxy
	mu  sync.Mutex
	fs  []*Fault
	log []string
}

// Fault breaks up to Times requests that Match accepts (all when Match
// is nil).
type Fault struct {
	Match func(*http.Request) bool
	Times int

	// Status answers with this status instead of passing the request on,
	// with RetryAfter as the Retry-After header when set.
	Status     int
	RetryAfter string

	// CutAfter, when Status is 0, cuts the client's connection after
	// that many bytes of the request body (an upload) or of the answer's
	// body (a download).
	CutAfter int64

	hits int
}

// NewFaultProxy starts a proxy in front of reg, serving TLS with a
// certificate of reg's CA; it stops when t ends. reg must serve TLS.
func NewFaultProxy(t testing.TB, reg *Docker) *FaultProxy {
	t.Helper()
	backend, err := url.Parse(reg.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backend)
			// The registry builds upload URLs from Host: keep the proxy's,
			// so that uploads come back through it.
			r.Out.Host = r.In.Host
		},
		Transport: reg.Client().Transport,
	}
	srv := httptest.NewUnstartedServer(p)
	_, _, pair := reg.CA.ServerCert(t, t.TempDir())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.Host = srv.Listener.Addr().String()
	return p
}

// Add arms f.
func (p *FaultProxy) Add(f *Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fs = append(p.fs, f)
}

// Log returns what the proxy did: one "METHOD PATH (RANGE) -> what" a
// request, what being "pass", a status or "cut".
func (p *FaultProxy) Log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// Count returns how many requests the proxy broke with what (e.g.
// "503" or "cut").
func (p *FaultProxy) Count(what string) int {
	n := 0
	for _, l := range p.Log() {
		if strings.HasSuffix(l, "-> "+what) {
			n++
		}
	}
	return n
}

func (p *FaultProxy) pick(r *http.Request) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.fs {
		if f.hits < f.Times && (f.Match == nil || f.Match(r)) {
			f.hits++
			return f
		}
	}
	return nil
}

func (p *FaultProxy) record(r *http.Request, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rng := ""
	if v := r.Header.Get("Range"); v != "" {
		rng = " (" + v + ")"
	}
	p.log = append(p.log, fmt.Sprintf("%s %s%s -> %s", r.Method, r.URL.Path, rng, what))
}

// ServeHTTP passes r on to the registry, or breaks it.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := p.pick(r)
	switch {
	case f == nil:
		p.record(r, "pass")
		p.rp.ServeHTTP(w, r)
	case f.Status != 0:
		p.record(r, fmt.Sprint(f.Status))
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.WriteHeader(f.Status)
	case r.Body != nil && r.ContentLength != 0:
		// An upload: take part of it, then drop the connection.
		p.record(r, "cut")
		io.CopyN(io.Discard, r.Body, f.CutAfter)
		cut(w)
	default:
		// A download: pass part of the answer on, then drop the connection.
		p.record(r, "cut")
		p.rp.ServeHTTP(&cutWriter{ResponseWriter: w, left: f.CutAfter}, r)
	}
}

// cut closes the client's connection, with nothing more sent: a flush
// here would send a 200 for an upload.
func cut(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// cutWriter passes left bytes of a body on, then cuts the connection.
type cutWriter struct {
	http.ResponseWriter
	left int64
	done bool
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if c.done {
		return 0, io.ErrClosedPipe
	}
	if int64(len(b)) <= c.left {
		c.left -= int64(len(b))
		return c.ResponseWriter.Write(b)
	}
	c.ResponseWriter.Write(b[:c.left])
	c.done = true
	http.NewResponseController(c.ResponseWriter).Flush()
	cut(c.ResponseWriter)
	return 0, io.ErrClosedPipe
}

func (c *cutWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// UploadPUT matches the PUT that completes a blob upload.
func UploadPUT(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/")
}

// BlobGET matches the download of a blob.
func BlobGET(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:")
}
