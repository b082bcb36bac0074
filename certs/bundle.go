package certs

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Path is where the layer puts the PEM bundle: the file Debian's
// ca-certificates writes and Go's crypto/x509 reads first on Linux.
const Path = "/etc/ssl/certs/ca-certificates.crt"

// Env is the environment entry that points OpenSSL, Go and other TLS
// stacks at Path, for an image config's Env list.
const Env = "SSL_CERT_FILE=" + Path

// PEM returns the default bundle file: every root without a constraint, as
// PEM blocks in the order the package documentation gives. The slice is a
// fresh copy the caller may change.
func PEM() []byte {
	return bytes.Clone(load().pem)
}

// Pool returns a new pool holding every root of the bundle, the
// constrained ones with their constraint. Each call returns a new pool,
// which the caller may add to.
func Pool() *x509.CertPool {
	p := x509.NewCertPool()
	cs := parsed()
	for i, r := range load().roots {
		if r.constraint != nil {
			p.AddCertWithConstraint(cs[i], r.constraint)
		} else {
			p.AddCert(cs[i])
		}
	}
	return p
}

// Count returns the number of roots in the bundle, constrained ones
// included: the number Pool holds.
func Count() int { return len(load().roots) }

// Constrained returns the number of roots that carry a constraint, which
// PEM and the default layer leave out.
func Constrained() int {
	n := 0
	for _, r := range load().roots {
		if r.constraint != nil {
			n++
		}
	}
	return n
}

// root is one certificate of the bundle.
type root struct {
	der        []byte
	sum        [sha256.Size]byte
	constraint func([]*x509.Certificate) error
}

// roots holds the bundle, sorted by sum, and the two PEM files made from
// it.
type roots struct {
	roots    []root
	pem      []byte // unconstrained roots only
	pemWithC []byte // every root
}

// load reads the bundle once per process. It parses nothing: the layer
// and PEM need the DER bytes alone (parsed does the parsing, for Pool).
var load = sync.OnceValue(func() *roots {
	var b roots
	for r := range bundle.Roots() {
		b.roots = append(b.roots, root{der: r.Certificate, sum: sha256.Sum256(r.Certificate), constraint: r.Constraint})
	}
	slices.SortFunc(b.roots, func(x, y root) int { return bytes.Compare(x.sum[:], y.sum[:]) })
	var all, plain bytes.Buffer
	for _, r := range b.roots {
		block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.der})
		all.Write(block)
		if r.constraint == nil {
			plain.Write(block)
		}
	}
	b.pem, b.pemWithC = plain.Bytes(), all.Bytes()
	return &b
})

// parsed parses the roots of load once per process, in load's order. The
// bundle is generated and tested upstream, so a root that does not parse
// is a broken build, not an error a caller could handle.
var parsed = sync.OnceValue(func() []*x509.Certificate {
	rs := load().roots
	cs := make([]*x509.Certificate, len(rs))
	for i, r := range rs {
		c, err := x509.ParseCertificate(r.der)
		if err != nil {
			panic(fmt.Sprintf("certs: root %d of the embedded bundle does not parse: %v", i, err))
		}
		cs[i] = c
	}
	return cs
})

// bundlePEM returns the shared, read-only PEM bytes of the bundle.
func bundlePEM(includeConstrained bool) []byte {
	if includeConstrained {
		return load().pemWithC
	}
	return load().pem
}
