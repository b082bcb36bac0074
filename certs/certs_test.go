package certs

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// upstream counts the bundle's roots and constrained roots by iterating it
// directly, independently of this package's parsing.
func upstream() (all, constrained int) {
	for r := range bundle.Roots() {
		all++
		if r.Constraint != nil {
			constrained++
		}
	}
	return all, constrained
}

func TestCounts(t *testing.T) {
	all, constrained := upstream()
	if Count() != all || Constrained() != constrained {
		t.Fatalf("Count, Constrained = %d, %d; the bundle has %d roots, %d constrained", Count(), Constrained(), all, constrained)
	}
	if all < 100 {
		t.Errorf("only %d roots; is the bundle truncated?", all)
	}
	t.Logf("%d roots, %d constrained", all, constrained)
}

func TestConstrainedRoots(t *testing.T) {
	all, constrained := upstream()
	with, err := File(Options{IncludeConstrained: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"PEM", PEM(), all - constrained},
		{"File default", must(File(Options{})), all - constrained},
		{"File IncludeConstrained", with, all},
	}
	for _, tc := range tests {
		if got := countBlocks(t, tc.data); got != tc.want {
			t.Errorf("%s: %d certificates, want %d", tc.name, got, tc.want)
		}
	}
	if diff := countBlocks(t, with) - countBlocks(t, PEM()); diff != constrained {
		t.Errorf("IncludeConstrained adds %d certificates, want the %d constrained roots", diff, constrained)
	}

	// Every constrained root is missing from the default file and present
	// in the other; every unconstrained one is in both.
	for r := range bundle.Roots() {
		block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate})
		inDefault, inWith := bytes.Contains(PEM(), block), bytes.Contains(with, block)
		if inDefault == (r.Constraint != nil) || !inWith {
			c, _ := x509.ParseCertificate(r.Certificate)
			t.Errorf("%s (constrained %v): in default file %v, in IncludeConstrained file %v", c.Subject, r.Constraint != nil, inDefault, inWith)
		}
	}
}

func TestPool(t *testing.T) {
	p := Pool()
	//lint:ignore SA1019 the pool is ours, not the system's, so Subjects is complete.
	if n := len(p.Subjects()); n != Count() {
		t.Fatalf("pool holds %d certificates, want Count() = %d, constrained roots included", n, Count())
	}
	if Pool() == p {
		t.Fatal("Pool returned the same pool twice; callers may add to it")
	}
	// Each root, unconstrained or not, anchors a chain of itself.
	for r := range bundle.Roots() {
		c, _ := x509.ParseCertificate(r.Certificate)
		if _, err := c.Verify(x509.VerifyOptions{Roots: p, CurrentTime: c.NotBefore.AddDate(0, 0, 1)}); err != nil {
			t.Errorf("%s: %v", c.Subject, err)
		}
	}
}

func TestOrder(t *testing.T) {
	var sums [][]byte
	rest := PEM()
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		s := sha256.Sum256(b.Bytes)
		sums = append(sums, s[:])
	}
	if !slices.IsSortedFunc(sums, bytes.Compare) {
		t.Fatal("certificates are not sorted by the sha256 of their DER bytes")
	}
}

func TestPEMIsACopy(t *testing.T) {
	a := PEM()
	a[0] = 'X'
	if PEM()[0] != '-' {
		t.Fatal("changing PEM's result changed the next result")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
