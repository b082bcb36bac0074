package certs

import (
	"bytes"
	"testing"
)

// FuzzExtraPEM feeds arbitrary bytes as ExtraPEM: File must never panic,
// and whatever it accepts must be CA certificates appended after the roots.
func FuzzExtraPEM(f *testing.F) {
	ca := newCert(f, "Fuzz Root CA", true, true)
	leaf := newCert(f, "leaf.example", false, true)
	for _, s := range [][]byte{
		nil, []byte("\n"), ca, leaf, bytes.Repeat(ca, 2), ca[:len(ca)/2],
		[]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
		[]byte("-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n"),
		[]byte("x\n-----BEGIN X-----\nAA==\n-----END X-----\n"),
	} {
		f.Add(s)
	}
	base := PEM()
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := parseExtra(in)
		if err != nil {
			return
		}
		for _, c := range got {
			if !c.IsCA || !c.BasicConstraintsValid {
				t.Fatalf("accepted a non-CA certificate %s", c.Subject)
			}
		}
		file, err := File(Options{ExtraPEM: in})
		if err != nil {
			t.Fatalf("parseExtra accepted what File rejects: %v", err)
		}
		if !bytes.HasPrefix(file, base) {
			t.Fatal("the roots do not come first")
		}
	})
}
