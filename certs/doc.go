// Package certs provides the Mozilla CA bundle, embedded in the program, as a
// PEM file in a layer and as an [x509.CertPool].
//
// The roots come from golang.org/x/crypto/x509roots/fallback/bundle, which
// Go's maintainers generate from Mozilla's NSS trust store; [Version] names
// the module version that was compiled in. Nothing is read from the host:
// the same build gives the same bytes on every machine.
//
// # Constrained roots
//
// A few roots are trusted only with a condition that X.509 cannot express,
// such as "distrust certificates issued after a date". The bundle hands such
// a root over with a constraint function. A PEM file cannot carry that
// function: OpenSSL, Go's [x509.SystemCertPool] and every other reader of
// the file would trust the root without the condition. So:
//
//   - [PEM] and [Layer] leave constrained roots out by default. Set
//     [Options.IncludeConstrained] to write them anyway, unconditionally
//     trusted, for a consumer that must keep talking to servers whose chains
//     end at such a root.
//   - [Pool] keeps every root, adding the constrained ones with
//     [x509.CertPool.AddCertWithConstraint], so Go's verifier applies the
//     condition.
//
// [Count] is the number of roots in the bundle, and [Constrained] the number
// of them that carry a constraint; the default PEM file holds Count() -
// Constrained() certificates.
//
// # Your own CAs
//
// [Options.ExtraPEM] adds certificates, such as a company's root, after
// Mozilla's. Each must parse and be a CA; anything else fails with an error
// wrapping [ErrMalformedPEM] or [ErrNotCA] that names the block by its
// position and, once it parses, by its subject. [File] returns the bytes
// the layer would hold, for callers that want the file without a layer.
//
// # The file
//
// The layer holds one regular file, [Path], mode 0644, owned by 0:0, in
// the place Debian and Alpine use and Go, OpenSSL and most TLS stacks look
// first. Its certificates are PEM "CERTIFICATE" blocks with no text between
// them, ordered by the sha256 of their DER bytes (lowest first), so the order
// does not depend on how the upstream bundle lists them. Certificates from
// [Options.ExtraPEM] follow, in the order given. Set [Env] in an image for
// programs that read SSL_CERT_FILE rather than searching the usual places.
//
// Everything is computed once per process, on first use, and is safe for
// concurrent use.
package certs
