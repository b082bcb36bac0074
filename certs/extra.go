package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// parseExtra parses caller-supplied PEM: one or more "CERTIFICATE" blocks,
// each a CA certificate. Text between blocks is allowed, as in any PEM
// bundle; anything else is an error that names the block (counted from 1)
// and, once the certificate parses, its subject. Empty or all-blank input
// gives no certificates and no error.
func parseExtra(data []byte) ([]*x509.Certificate, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	segs := blocks(data)
	if len(segs) == 0 {
		return nil, fmt.Errorf("certs: extra PEM: %w: no PEM block found; give certificates as -----BEGIN CERTIFICATE----- blocks", ErrMalformedPEM)
	}
	certs := make([]*x509.Certificate, 0, len(segs))
	for i, seg := range segs {
		n := i + 1
		block, _ := pem.Decode(seg)
		if block == nil {
			return nil, fmt.Errorf("certs: extra PEM block %d: %w: its BEGIN line has no well-formed block after it; check the END line and the base64 between them", n, ErrMalformedPEM)
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("certs: extra PEM block %d: %w: it is a %q block; give only CERTIFICATE blocks (never a private key)", n, ErrMalformedPEM, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certs: extra PEM block %d: %w: %v", n, ErrMalformedPEM, err)
		}
		if !c.BasicConstraintsValid || !c.IsCA {
			return nil, fmt.Errorf("certs: extra certificate %d (%s): %w: it lacks basic constraints with CA:TRUE; give the issuing CA's certificate, not a server or client certificate", n, c.Subject, ErrNotCA)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// blocks splits data at every line that starts with "-----BEGIN", so that
// each piece holds one block. pem.Decode on the whole input would skip a
// malformed block and go on to the next, silently dropping a certificate.
func blocks(data []byte) [][]byte {
	begin := []byte("-----BEGIN")
	var starts []int
	for i := 0; i < len(data); {
		j := bytes.Index(data[i:], begin)
		if j < 0 {
			break
		}
		if at := i + j; at == 0 || data[at-1] == '\n' {
			starts = append(starts, at)
		}
		i += j + len(begin)
	}
	segs := make([][]byte, len(starts))
	for k, s := range starts {
		end := len(data)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		segs[k] = data[s:end]
	}
	return segs
}
