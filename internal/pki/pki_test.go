package pki

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"
)

// TestServerCert serves TLS with an issued certificate: a client that
// trusts the CA connects by IP and by name; one that trusts another CA
// does not.
func TestServerCert(t *testing.T) {
	ca, err := NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("other CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, pair, err := ca.ServerCert()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Errorf("the PEM forms do not make a key pair: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca.PEM) {
		t.Fatal("CA.PEM holds no certificate")
	}
	for _, c := range []struct {
		name  string
		pool  *x509.CertPool
		trust bool
	}{
		{"127.0.0.1", pool, true},
		{"localhost", ca.Pool(), true},
		{"127.0.0.1", other.Pool(), false},
	} {
		conn, err := tls.Dial("tcp", net.JoinHostPort(c.name, port), &tls.Config{RootCAs: c.pool})
		if err == nil {
			conn.Close()
		}
		if (err == nil) != c.trust {
			t.Errorf("dial %s: %v; want trusted %v", c.name, err, c.trust)
		}
	}
}
