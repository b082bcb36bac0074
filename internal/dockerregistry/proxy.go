package dockerregistry

import (
	"testing"

	"github.com/minimage/minimage/image/registrytest"
)

// Proxy starts a registrytest.Proxy in front of r for the test, serving
// TLS with a certificate of r's CA (plain HTTP with Config.NoTLS).
func (r *Docker) Proxy(t testing.TB) *registrytest.Proxy {
	t.Helper()
	opts := registrytest.ProxyOptions{Transport: r.Client().Transport}
	if r.CA != nil {
		_, _, pair := r.CA.ServerCert(t, t.TempDir())
		opts.Certificate = &pair
	}
	return registrytest.NewProxy(t, r.URL(""), opts)
}
