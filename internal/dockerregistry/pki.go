package dockerregistry

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/pki"
)

// CA is a certificate authority a test makes up, to serve TLS that only
// a client told about it trusts.
type CA struct {
	*pki.CA
	File string // the CA certificate, PEM
}

// NewCA makes a CA valid for a day and writes its certificate, PEM, to
// a file under t.TempDir().
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	ca, err := pki.NewCA(name, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := &CA{CA: ca, File: filepath.Join(t.TempDir(), "ca.pem")}
	writeFile(t, c.File, ca.PEM)
	return c
}

// ServerCert issues a certificate for 127.0.0.1, ::1 and localhost and
// writes it and its key as PEM into dir.
func (ca *CA) ServerCert(t testing.TB, dir string) (certFile, keyFile string, pair tls.Certificate) {
	t.Helper()
	certPEM, keyPEM, pair, err := ca.CA.ServerCert()
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	writeFile(t, certFile, certPEM)
	writeFile(t, keyFile, keyPEM)
	return certFile, keyFile, pair
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
