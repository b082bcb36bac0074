package certs

import "errors"

// Sentinel errors, to be tested with errors.Is. The errors this package
// returns wrap them with the position and the subject of the certificate at
// fault.
var (
	// ErrMalformedPEM reports extra PEM input that is not a sequence of
	// well-formed "CERTIFICATE" blocks holding parsable X.509
	// certificates.
	ErrMalformedPEM = errors.New("malformed PEM")

	// ErrNotCA reports an extra certificate that is not a certificate
	// authority: its basic constraints are missing or say CA:FALSE.
	ErrNotCA = errors.New("not a CA certificate")
)
