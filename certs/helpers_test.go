package certs

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

// newCert returns a self-signed certificate as PEM. isCA sets the basic
// constraints' CA flag; basic false leaves the extension out altogether.
func newCert(t testing.TB, cn string, isCA, basic bool) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Example Corp"}},
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: basic,
		IsCA:                  isCA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// countBlocks returns the number of CERTIFICATE blocks in data.
func countBlocks(t testing.TB, data []byte) int {
	t.Helper()
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			t.Fatalf("block %d is %q", n+1, b.Type)
		}
		n++
	}
	if len(bytes.TrimSpace(data)) != 0 {
		t.Fatalf("%d bytes after the last block", len(data))
	}
	return n
}

// readLayer returns the entries of l's tar stream, in order. It reads
// the stream to its end, where the layer's verifier checks the diffID.
func readLayer(t testing.TB, l *layer.Layer) []testenv.Entry {
	t.Helper()
	rc, err := l.Uncompressed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	return testenv.ReadTar(t, rc)
}
