package registry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// The server drops slow headers and idle connections; a body is the
// registry's (TestMinBodyRate).
func TestServerTimeouts(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := r.Listen("127.0.0.1:0", ServeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	srv := s.srv
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": srv.ReadHeaderTimeout, "IdleTimeout": srv.IdleTimeout} {
		if d <= 0 || d > 40*time.Second {
			t.Errorf("%s %s, want one over 0 and at most 40 s", name, d)
		}
	}
	if srv.ReadTimeout != 0 || srv.WriteTimeout != 0 {
		t.Errorf("ReadTimeout %s, WriteTimeout %s: a total limit cuts a slow but honest transfer of a large blob", srv.ReadTimeout, srv.WriteTimeout)
	}
}

// Listen refuses credentials in clear beyond loopback, and a certificate
// without its key, before it serves; Serve serves until ctx ends, then
// returns nil.
func TestListen(t *testing.T) {
	r, err := New(Options{Auth: Auth{Scheme: BasicAuth, User: "u", Password: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Listen("0.0.0.0:0", ServeOptions{}); !errors.Is(err, ErrCredentialsInClear) {
		t.Errorf("auth on 0.0.0.0 over HTTP: %v, want ErrCredentialsInClear", err)
	}
	if _, err := r.Listen("127.0.0.1:0", ServeOptions{CertFile: "cert.pem"}); err == nil {
		t.Error("CertFile without KeyFile: no error")
	}
	wide, err := r.Listen("0.0.0.0:0", ServeOptions{InsecureHTTPCredentials: true})
	if err != nil {
		t.Fatalf("with InsecureHTTPCredentials: %v", err)
	}
	wide.ln.Close()
	s, err := r.Listen("127.0.0.1:0", ServeOptions{MaxConnections: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	req, _ := http.NewRequest("GET", s.URL()+"/v2/", nil)
	req.SetBasicAuth("u", "p")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/v2/: %s", s.URL(), resp.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after ctx ended: %v, want nil", err)
	}
}
