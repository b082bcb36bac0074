package signature

import "errors"

// Sentinel errors, to be tested with errors.Is. The errors this package
// returns wrap them with the file or digest concerned and, where it is
// known, the fix.
var (
	// ErrInvalidKey reports a key file that is not a key this package
	// reads: not PEM, another PEM type, or a key other than ECDSA P-256.
	ErrInvalidKey = errors.New("invalid key")

	// ErrPassword reports a private key that the password given does not
	// decrypt.
	ErrPassword = errors.New("wrong password")

	// ErrNoPassword reports that Password had no password to give:
	// $COSIGN_PASSWORD is not set and there is no terminal to type it on.
	ErrNoPassword = errors.New("no password for the private key")

	// ErrPasswordsDiffer reports a password typed twice differently.
	ErrPasswordsDiffer = errors.New("the passwords differ")

	// ErrKeyPermissions reports a private key file that users other than
	// its owner may read.
	ErrKeyPermissions = errors.New("private key readable by others")

	// ErrNoSignature reports a manifest that has no signature at all.
	ErrNoSignature = errors.New("no signature")

	// ErrWrongKey reports a manifest whose signatures do not verify with
	// the key: made by another key, or changed since they were made.
	ErrWrongKey = errors.New("not signed by the key")

	// ErrDigestMismatch reports a signature by the key whose payload
	// names another manifest than the one it is stored for.
	ErrDigestMismatch = errors.New("signature payload names another digest")

	// ErrNoAttestation reports a manifest that has no attestation of
	// the predicate type asked for, signed or not.
	ErrNoAttestation = errors.New("no attestation")

	// ErrCorrupt reports a signature manifest or payload that cannot be
	// parsed.
	ErrCorrupt = errors.New("corrupt signature data")
)
