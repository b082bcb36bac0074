package certs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestExtraPEM(t *testing.T) {
	ca1 := newCert(t, "Example Root CA 1", true, true)
	ca2 := newCert(t, "Example Root CA 2", true, true)
	leaf := newCert(t, "www.example.com", false, true)
	v1 := newCert(t, "Old v1 CA", false, false)
	key := []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n")
	broken := bytes.Replace(ca2, []byte("\n"), []byte("\n!!"), 3)
	truncated := ca2[:len(ca2)-10]
	notDER := []byte("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n")

	tests := []struct {
		name    string
		in      []byte
		want    int // certificates added
		wantErr error
		inMsg   []string
	}{
		{"nil", nil, 0, nil, nil},
		{"blank", []byte(" \n\t\n"), 0, nil, nil},
		{"one CA", ca1, 1, nil, nil},
		{"two CAs with comments", cat([]byte("# corp\n"), ca1, []byte("comment\n"), ca2), 2, nil, nil},
		{"CRLF", bytes.ReplaceAll(ca1, []byte("\n"), []byte("\r\n")), 1, nil, nil},
		{"same CA twice", cat(ca1, ca1), 1, nil, nil},
		{"leaf", cat(ca1, leaf), 0, ErrNotCA, []string{"certs: ", "certificate 2", "CN=www.example.com", "CA:TRUE"}},
		{"no basic constraints", v1, 0, ErrNotCA, []string{"certificate 1", "CN=Old v1 CA"}},
		{"private key", cat(ca1, key), 0, ErrMalformedPEM, []string{"block 2", "EC PRIVATE KEY", "never a private key"}},
		{"bad base64 between good blocks", cat(ca1, broken, ca1), 0, ErrMalformedPEM, []string{"block 2"}},
		{"truncated", cat(ca1, truncated), 0, ErrMalformedPEM, []string{"block 2", "END line"}},
		{"not DER", notDER, 0, ErrMalformedPEM, []string{"block 1"}},
		{"no PEM at all", []byte("MIIB..."), 0, ErrMalformedPEM, []string{"no PEM block"}},
	}
	base := countBlocks(t, PEM())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := File(Options{ExtraPEM: tc.in})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				for _, s := range tc.inMsg {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				if !strings.HasPrefix(err.Error(), "certs: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := countBlocks(t, got) - base; n != tc.want {
				t.Fatalf("%d certificates added, want %d", n, tc.want)
			}
			if !bytes.HasPrefix(got, PEM()) {
				t.Fatal("the Mozilla roots do not come first")
			}
		})
	}
}

// A bundle root given again is not written twice; a constrained root given
// explicitly is the caller's choice and goes in.
func TestExtraDuplicatesBundle(t *testing.T) {
	all := must(File(Options{IncludeConstrained: true}))
	got := must(File(Options{ExtraPEM: all}))
	if n := countBlocks(t, got); n != Count() {
		t.Fatalf("%d certificates, want %d: each root once, constrained ones added as extras", n, Count())
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
