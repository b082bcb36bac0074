package remote

import (
	"context"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
)

// TestTrustIsLazy: the certificate pool is built on the first TLS
// connection, not before, and not at all for a registry in plain HTTP. A
// CA file whose PEM block holds no certificate that parses tells which:
// reading it (a missing file, no PEM block) is checked up front, parsing
// it only with the pool.
func TestTrustIsLazy(t *testing.T) {
	ctx := context.Background()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("SSL_CERT_FILE", "")
	img := imagetest.Image(t, imagetest.Spec{Seed: 91})
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}), 0o644); err != nil {
		t.Fatal(err)
	}

	plain := registrytest.New(t, registrytest.Options{})
	if _, err := Push(ctx, plain.Host()+"/app:v1", img, Options{InsecureAllowHTTP: true, CAFiles: []string{bad}}); err != nil {
		t.Fatalf("push in plain HTTP with a CA file that does not parse: %v; the pool was built though no TLS connection needed it", err)
	}
	if _, err := Pull(ctx, plain.Host()+"/app:v1", Options{InsecureAllowHTTP: true, CAFiles: []string{bad}}); err != nil {
		t.Fatalf("pull in plain HTTP with a CA file that does not parse: %v", err)
	}

	secure := registrytest.New(t, registrytest.Options{TLS: true})
	_, err := Push(ctx, secure.Host()+"/app:v1", img, Options{CAFiles: []string{bad}})
	if err == nil || !strings.Contains(err.Error(), "no PEM certificate") || !strings.Contains(err.Error(), bad) {
		t.Errorf("push over TLS with a CA file that does not parse: %v, want an error naming the file", err)
	}

	// What reading checks still fails before any request.
	for name, opts := range map[string]Options{
		"missing": {InsecureAllowHTTP: true, CAFiles: []string{filepath.Join(dir, "none.pem")}},
		"no PEM":  {InsecureAllowHTTP: true, CAFiles: []string{writeFile(t, dir, "empty.pem", "no PEM here")}},
	} {
		mark := len(plain.Log())
		if _, err := Push(ctx, plain.Host()+"/app:"+strings.ReplaceAll(name, " ", ""), img, opts); err == nil {
			t.Errorf("%s CA file: the push succeeded", name)
		}
		if n := len(plain.Log()) - mark; n != 0 {
			t.Errorf("%s CA file: %d requests sent before the error", name, n)
		}
	}
}

// TestLazyTLSTransport: the TLS transport is made by the first request
// over TLS, once, and serves the later ones; plain requests never make it.
func TestLazyTLSTransport(t *testing.T) {
	t.Setenv("SSL_CERT_FILE", "")
	plain := registrytest.New(t, registrytest.Options{})
	secure := registrytest.New(t, registrytest.Options{TLS: true})
	ca := writeFile(t, t.TempDir(), "ca.pem", string(secure.CAPEM()))
	lt, err := newLazyTLS(Options{CAFiles: []string{ca}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(url string) {
		t.Helper()
		req, err := http.NewRequest("GET", url+"/v2/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := lt.RoundTrip(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
	}
	get(plain.URL())
	if lt.secure.Load() != nil {
		t.Fatal("a plain-HTTP request made the TLS transport")
	}
	get(secure.URL())
	first := lt.secure.Load()
	if first == nil || first.TLSClientConfig == nil || first.TLSClientConfig.RootCAs == nil {
		t.Fatal("no TLS transport with the CA file's pool after a request over TLS")
	}
	get(secure.URL())
	get(plain.URL())
	if lt.secure.Load() != first {
		t.Error("the TLS transport was made again")
	}
	lt.CloseIdleConnections()

	// Without extra files the pool is crypto/x509's own, loaded by it
	// when first needed: an unknown authority is still refused.
	lt, err = newLazyTLS(Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", secure.URL()+"/v2/", nil)
	resp, err := lt.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
	if !isCertError(err) {
		t.Errorf("a registry of an unknown CA: %v, want a certificate error", err)
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
