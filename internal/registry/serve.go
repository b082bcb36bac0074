package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// ErrCredentialsInClear is returned, wrapped, by Listen for a registry
// with Auth, no certificate, an address other than loopback and no
// ServeOptions.InsecureHTTPCredentials: the password and tokens would
// cross the network in clear.
var ErrCredentialsInClear = errors.New("registry: credentials in clear")

// ServeOptions say how a Server serves a Registry. The zero value serves
// plain HTTP, any number of connections at once.
type ServeOptions struct {
	// CertFile and KeyFile, given together, serve HTTPS with the
	// certificate (chain) and the private key in these PEM files.
	CertFile, KeyFile string
	// MaxConnections is how many connections are served at once; more
	// wait to be accepted. 0: no bound.
	MaxConnections int
	// InsecureHTTPCredentials serves a registry with Auth over plain
	// HTTP on an address other than loopback.
	InsecureHTTPCredentials bool
	// ErrorLog, if set, receives the HTTP server's errors.
	ErrorLog *log.Logger
}

// Server is a Registry listening on a network address. It drops a
// connection whose request headers take over 30 s or that idles over
// 30 s between requests; the Registry drops a body slower than its
// MinBodyRate, and a response has no time limit, so that a large blob
// reaches a slow client.
type Server struct {
	srv *http.Server
	ln  net.Listener
	tls bool // set at Listen: Serve changes srv.TLSConfig, URL must not read it
}

// Listen listens on address, HOST:PORT (port 0 picks a free one), to
// serve r with opts, which it checks first; Serve then serves.
func (r *Registry) Listen(address string, opts ServeOptions) (*Server, error) {
	if opts.MaxConnections < 0 {
		return nil, fmt.Errorf("registry: MaxConnections %d: want 0 (no bound) or more", opts.MaxConnections)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second, ErrorLog: opts.ErrorLog}
	switch {
	case opts.CertFile != "" && opts.KeyFile != "":
		pair, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("registry: certificate %s, key %s: %w", opts.CertFile, opts.KeyFile, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	case opts.CertFile != "" || opts.KeyFile != "":
		return nil, errors.New("registry: CertFile and KeyFile go together: give both, or neither for plain HTTP")
	}
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if r.auth != nil && srv.TLSConfig == nil && !opts.InsecureHTTPCredentials && !(ok && tcp.IP.IsLoopback()) {
		ln.Close()
		return nil, fmt.Errorf("%w: auth on %s over plain HTTP: serve with a certificate, listen on loopback, or set InsecureHTTPCredentials", ErrCredentialsInClear, ln.Addr())
	}
	if opts.MaxConnections > 0 {
		ln = newLimitListener(ln, opts.MaxConnections)
	}
	return &Server{srv: srv, ln: ln, tls: srv.TLSConfig != nil}, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the server's root: http://HOST:PORT, or https:// with a
// certificate.
func (s *Server) URL() string {
	if s.tls {
		return "https://" + s.Addr().String()
	}
	return "http://" + s.Addr().String()
}

// Serve serves until ctx ends, then shuts the server down, giving the
// requests in progress 5 s, and returns nil; or it returns why serving
// failed. The caller closes the Registry after.
func (s *Server) Serve(ctx context.Context) error {
	done := make(chan error, 1)
	go func() {
		if s.tls {
			done <- s.srv.ServeTLS(s.ln, "", "")
		} else {
			done <- s.srv.Serve(s.ln)
		}
	}()
	select {
	case err := <-done:
		return fmt.Errorf("registry: serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutdown); err != nil {
		s.srv.Close()
	}
	<-done
	return nil
}

// limitListener is a net.Listener that holds at most cap(sem)
// connections open at once: Accept waits while that many are.
type limitListener struct {
	net.Listener
	sem    chan struct{}
	closed chan struct{}
	once   sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), closed: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

// Close closes the listener and ends an Accept waiting for a slot.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitConn frees its slot of a limitListener when it is first closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
