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

// Attest signs each statement with key and stores it for each of its
// subjects, which must be a's manifest or manifests it lists, in the
// registry repository ref names, where a must be. In cosign's tag scheme
// (opts.Format FormatTag), each subject's attestations are the layers
// of the manifest tagged AttestationTag; attestations already there are
// kept, as cosign attest keeps them. With FormatBundle, each statement
// is a sigstore bundle pushed as a referrer of each subject
// (AttestationReferrers), as cosign v3 attest --key writes it. It
// returns the digests attested, in the order their subjects first
// appear.
func Attest(ctx context.Context, ref string, a image.Artifact, key crypto.Signer, stmts []Statement, opts Options) ([]digest.Digest, error) {
	repo, _, err := repository(ref)
	if err != nil {
		return nil, err
	}
	if opts.Format == FormatBundle {
		return attestBundles(ctx, repo, a, key, stmts, opts)
	}
	if _, err := subjectDescriptors(a, stmts); err != nil {
		return nil, err
	}
	var order []digest.Digest
	byDigest := map[digest.Digest][]Attestation{}
	for _, s := range stmts {
		att, err := NewAttestation(key, s)
		if err != nil {
			return nil, err
		}
		for _, sub := range s.Subjects {
			if _, ok := byDigest[sub.Digest]; !ok {
				order = append(order, sub.Digest)
			}
			byDigest[sub.Digest] = append(byDigest[sub.Digest], att)
		}
	}
	for i, d := range order {
		if err := appendTagged(ctx, repo, d, byDigest[d], opts); err != nil {
			return order[:i], err
		}
	}
	return order, nil
}

// appendTagged adds atts to the attestations of d under AttestationTag.
func appendTagged(ctx context.Context, repo string, d digest.Digest, atts []Attestation, opts Options) error {
	tag := repo + ":" + AttestationTag(d)
	base, err := remote.Pull(ctx, tag, opts.Remote)
	if errors.Is(err, image.ErrNotFound) {
		base, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("signature: read the attestations of %s: %w", d, err)
	}
	next, err := AppendAttestations(base, atts...)
	if err != nil {
		return err
	}
	if _, err := remote.Push(ctx, tag, next, opts.Remote); err != nil {
		return fmt.Errorf("signature: push the attestations of %s: %w", d, err)
	}
	return nil
}

// VerifyAttestation checks that the manifest d, in the repository ref
// names, has an attestation of predicateType (a URI; see PredicateType)
// signed by key, whose statement is about d, in either form (cosign's
// tag scheme, or a sigstore bundle referrer), and returns the statements
// that verify. Without one, the error names d and the reason:
// ErrNoAttestation (none of that type), ErrDigestMismatch (one by key,
// about other manifests) or ErrWrongKey (none that key made, or they
// were changed since).
func VerifyAttestation(ctx context.Context, ref string, d digest.Digest, key *ecdsa.PublicKey, predicateType string, opts Options) ([]Statement, error) {
	repo, _, err := repository(ref)
	if err != nil {
		return nil, err
	}
	var atts []Attestation
	a, err := remote.Pull(ctx, repo+":"+AttestationTag(d), opts.Remote)
	switch {
	case errors.Is(err, image.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("signature: read the attestations of %s: %w", d, err)
	default:
		if atts, err = ReadAttestations(ctx, a); err != nil {
			return nil, err
		}
	}
	rs, err := remoteBundleReferrers(ctx, repo, d, func(t string) bool { return wantAttestation(t, predicateType) }, opts)
	if err != nil {
		return nil, err
	}
	bundled, err := ReadBundleAttestations(ctx, rs, predicateType)
	if err != nil {
		return nil, err
	}
	atts = append(atts, bundled...)
	if len(atts) == 0 {
		return nil, fmt.Errorf("signature: %s in %s: %w of type %s (no tag %s, no sigstore bundle referrer); attest it with minimage build --sign-key or cosign attest --key", d, repo, ErrNoAttestation, predicateType, AttestationTag(d))
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
