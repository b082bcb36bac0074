package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// Signature is one signature of a manifest, as cosign stores it: the
// payload's bytes and an ECDSA-SHA256 signature over them, ASN.1 DER
// encoded.
type Signature struct {
	// Payload is the JSON of a Payload, exactly the bytes signed.
	Payload []byte
	// Signature is the signature over Payload; nil where the stored
	// signature was missing or not base64.
	Signature []byte
}

// NewSignature returns p signed with key, whose public key must be
// ECDSA P-256 (an *ecdsa.PrivateKey, or a crypto.Signer held elsewhere,
// such as in a KMS or an HSM).
func NewSignature(key crypto.Signer, p Payload) (Signature, error) {
	if err := checkSigner(key); err != nil {
		return Signature{}, err
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return Signature{}, fmt.Errorf("signature: %w", err)
	}
	sum := sha256.Sum256(payload)
	sig, err := key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return Signature{}, fmt.Errorf("signature: sign %s: %w", p.Digest, err)
	}
	return Signature{Payload: payload, Signature: sig}, nil
}

// Verify checks that s was made by key and that its payload names the
// manifest d, and returns the payload. A signature that key did not make,
// or whose payload was changed since, is an ErrWrongKey error; a payload
// for another digest an ErrDigestMismatch error.
func (s Signature) Verify(key *ecdsa.PublicKey, d digest.Digest) (Payload, error) {
	sum := sha256.Sum256(s.Payload)
	if s.Signature == nil || !ecdsa.VerifyASN1(key, sum[:], s.Signature) {
		return Payload{}, ErrWrongKey
	}
	var p Payload
	if err := json.Unmarshal(s.Payload, &p); err != nil {
		return Payload{}, err
	}
	if p.Digest != d {
		return Payload{}, fmt.Errorf("%w: the payload names %s", ErrDigestMismatch, p.Digest)
	}
	return p, nil
}
