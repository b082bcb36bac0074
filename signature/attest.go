package signature

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/opencontainers/go-digest"
)

// AttestationTag returns the tag that holds the attestations of the
// manifest d in cosign's scheme: "sha256-HEX.att" for sha256:HEX.
func AttestationTag(d digest.Digest) string {
	return d.Algorithm().String() + "-" + d.Encoded() + ".att"
}

// AppendAttestations returns the manifest that holds base's
// attestations, then atts: the manifest to store under AttestationTag. A
// nil base starts a new one. It is the manifest cosign attest writes:
// as AppendSignatures's, with layers of type MediaTypeDSSE holding the
// envelopes, each annotated with its predicate type and an empty
// AnnotationSignature (the signature is in the envelope).
func AppendAttestations(base image.Artifact, atts ...Attestation) (image.Artifact, error) {
	layers := make([]tagLayer, len(atts))
	for i, a := range atts {
		layers[i] = tagLayer{MediaTypeDSSE, a.Envelope, map[string]string{AnnotationSignature: "", AnnotationPredicateType: a.PredicateType}}
	}
	return appendLayers(base, layers)
}

// ReadAttestations returns the attestations that a, an attestation
// manifest read from a registry or layout, holds: each layer of type
// MediaTypeDSSE, in order.
func ReadAttestations(ctx context.Context, a image.Artifact) ([]Attestation, error) {
	layers, err := readLayers(ctx, a, MediaTypeDSSE, maxEnvelope)
	if err != nil {
		return nil, err
	}
	atts := make([]Attestation, len(layers))
	for i, l := range layers {
		atts[i] = Attestation{PredicateType: l.annotations[AnnotationPredicateType], Envelope: l.data}
	}
	return atts, nil
}

// Attest signs each statement with key and adds it to the attestations
// of each of its subjects, in cosign's tag scheme, in the registry
// repository ref names: the manifests must be there. Attestations
// already there are kept, as cosign attest keeps them. It returns the
// digests attested, in the order their subjects first appear.
func Attest(ctx context.Context, ref string, key crypto.Signer, stmts []Statement, opts Options) ([]digest.Digest, error) {
	repo, _, err := repository(ref)
	if err != nil {
		return nil, err
	}
	var order []digest.Digest
	byDigest := map[digest.Digest][]Attestation{}
	for _, s := range stmts {
		a, err := NewAttestation(key, s)
		if err != nil {
			return nil, err
		}
		for _, sub := range s.Subjects {
			if _, ok := byDigest[sub.Digest]; !ok {
				order = append(order, sub.Digest)
			}
			byDigest[sub.Digest] = append(byDigest[sub.Digest], a)
		}
	}
	for i, d := range order {
		tag := repo + ":" + AttestationTag(d)
		base, err := remote.Pull(ctx, tag, opts.Remote)
		if errors.Is(err, image.ErrNotFound) {
			base, err = nil, nil
		}
		if err != nil {
			return order[:i], fmt.Errorf("signature: read the attestations of %s: %w", d, err)
		}
		next, err := AppendAttestations(base, byDigest[d]...)
		if err != nil {
			return order[:i], err
		}
		if _, err := remote.Push(ctx, tag, next, opts.Remote); err != nil {
			return order[:i], fmt.Errorf("signature: push the attestations of %s: %w", d, err)
		}
	}
	return order, nil
}

// VerifyAttestation checks that the manifest d, in the repository ref
// names, has an attestation of predicateType (a URI; see PredicateType)
// signed by key, in cosign's tag scheme, whose statement is about d, and
// returns the statements that verify. Without one, the error names d and
// the reason: ErrNoAttestation (none of that type), ErrDigestMismatch
// (one by key, about other manifests) or ErrWrongKey (none that key
// made, or they were changed since).
func VerifyAttestation(ctx context.Context, ref string, d digest.Digest, key *ecdsa.PublicKey, predicateType string, opts Options) ([]Statement, error) {
	repo, _, err := repository(ref)
	if err != nil {
		return nil, err
	}
	a, err := remote.Pull(ctx, repo+":"+AttestationTag(d), opts.Remote)
	if errors.Is(err, image.ErrNotFound) {
		return nil, fmt.Errorf("signature: %s in %s: %w of type %s (no tag %s); attest it with minimage build --sign-key or cosign attest --key", d, repo, ErrNoAttestation, predicateType, AttestationTag(d))
	}
	if err != nil {
		return nil, fmt.Errorf("signature: read the attestations of %s: %w", d, err)
	}
	atts, err := ReadAttestations(ctx, a)
	if err != nil {
		return nil, err
	}
	stmts, err := verifyAttestations(atts, key, d, predicateType)
	if err != nil {
		return nil, fmt.Errorf("signature: %s in %s: %w", d, repo, err)
	}
	return stmts, nil
}

// verifyAttestations returns the statements of predicateType among atts
// that key signed about d; failing that, the most telling reason none
// did. As cosign verify-attestation does, it goes by the statement's
// predicate type, not the layer's annotation.
func verifyAttestations(atts []Attestation, key *ecdsa.PublicKey, d digest.Digest, predicateType string) ([]Statement, error) {
	var stmts []Statement
	var mismatch, corrupt error
	wrong, considered := 0, 0
	for _, a := range atts {
		if a.PredicateType != "" && a.PredicateType != predicateType {
			continue
		}
		s, err := a.Verify(key, d)
		switch {
		case errors.Is(err, ErrDigestMismatch):
			mismatch = err
		case errors.Is(err, ErrCorrupt):
			corrupt = err
		case err != nil:
			wrong++
		case s.PredicateType == predicateType:
			stmts = append(stmts, s)
		}
		considered++
	}
	switch {
	case len(stmts) > 0:
		return stmts, nil
	case mismatch != nil:
		return nil, mismatch
	case corrupt != nil:
		return nil, fmt.Errorf("an attestation is %w", corrupt)
	case wrong > 0:
		return nil, fmt.Errorf("%w: no %s attestation of the %d there verifies with it (made by another key, or changed since)", ErrWrongKey, predicateType, considered)
	}
	return nil, fmt.Errorf("%w of type %s among the %d there", ErrNoAttestation, predicateType, len(atts))
}
