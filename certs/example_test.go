package certs_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"

	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/layer"
)

// The default layer: Mozilla's unconstrained roots at /etc/ssl/certs.
func ExampleLayer() {
	l, err := certs.Layer(context.Background(), certs.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.MediaType())
	fmt.Println(certs.Env)
	// Output:
	// application/vnd.oci.image.layer.v1.tar+gzip
	// SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
}

// A test client that trusts exactly the roots an image ships.
func ExamplePool() {
	cfg := &tls.Config{RootCAs: certs.Pool()}
	fmt.Println(cfg.RootCAs != nil, certs.Count() > 100)
	// Output: true true
}

// A company root CA goes after Mozilla's; a server certificate would be
// refused with an error wrapping ErrNotCA.
func ExampleOptions_extraPEM() {
	companyCA := []byte("-----BEGIN CERTIFICATE-----\n...") // read from a file
	_, err := certs.Layer(context.Background(), certs.Options{
		ExtraPEM: companyCA,
		Layer:    layer.Options{Format: layer.Format{Compression: layer.Uncompressed}},
	})
	fmt.Println(err)
	// Output: certs: extra PEM block 1: malformed PEM: its BEGIN line has no well-formed block after it; check the END line and the base64 between them
}
