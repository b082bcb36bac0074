package signature

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// AttestationReferrers returns the bundle referrers that attach stmts,
// signed by key, to their subjects, as cosign v3 attest --key
// --new-bundle-format does: for each statement one bundle
// (NewAttestationBundle), in a referrer (BundleReferrer) of each of its
// subjects, in order. Each subject must be a's manifest or one a lists;
// their creation time is now.
func AttestationReferrers(a image.Artifact, key crypto.Signer, stmts []Statement) ([]image.Artifact, error) {
	subjects, err := subjectDescriptors(a, stmts)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []image.Artifact
	for _, s := range stmts {
		b, err := NewAttestationBundle(key, s)
		if err != nil {
			return nil, err
		}
		for _, sub := range s.Subjects {
			r, err := BundleReferrer(subjects[sub.Digest], b, now)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// AttestLayout signs stmts with key and adds them to the OCI layout at
// dir, which holds a, as AttestationReferrers makes them, untagged,
// where layout.Layout.Referrers finds them and "minimage push DIR:TAG
// REF" pushes them with a. A layout's attestations are always bundles.
// It returns the digests attested, in the order their subjects first
// appear.
func AttestLayout(ctx context.Context, dir string, a image.Artifact, key crypto.Signer, stmts []Statement) ([]digest.Digest, error) {
	refs, err := AttestationReferrers(a, key, stmts)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if err := layout.Write(ctx, dir, r, layout.Options{}); err != nil {
			return nil, fmt.Errorf("signature: attest %s in %s: %w", subjectOf(r), dir, err)
		}
	}
	return subjectOrder(stmts), nil
}

// VerifyLayoutAttestation checks that a's manifest, as read from the
// layout l, has a bundle referrer in l holding an attestation of
// predicateType signed by key about it, and returns the statements that
// verify; the errors are VerifyAttestation's.
func VerifyLayoutAttestation(ctx context.Context, l *layout.Layout, a image.Artifact, key *ecdsa.PublicKey, predicateType string) ([]Statement, error) {
	mine, err := layoutReferrersOf(ctx, l, a)
	if err != nil {
		return nil, err
	}
	atts, err := ReadBundleAttestations(ctx, mine, predicateType)
	if err != nil {
		return nil, err
	}
	if len(atts) == 0 {
		return nil, fmt.Errorf("signature: %s: %w of type %s: the layout holds no sigstore bundle referrer of it with one; build it with -o DIR --sign-key", a.Digest(), ErrNoAttestation, predicateType)
	}
	stmts, err := verifyAttestations(atts, key, a.Digest(), predicateType)
	if err != nil {
		return nil, fmt.Errorf("signature: %s: %w", a.Digest(), err)
	}
	return stmts, nil
}

// attestBundles is Attest with FormatBundle: the referrers pushed to
// repo.
func attestBundles(ctx context.Context, repo string, a image.Artifact, key crypto.Signer, stmts []Statement, opts Options) ([]digest.Digest, error) {
	refs, err := AttestationReferrers(a, key, stmts)
	if err != nil {
		return nil, err
	}
	if _, err := remote.PushReferrers(ctx, repo, refs, opts.Remote); err != nil {
		return nil, fmt.Errorf("signature: push the attestations: %w", err)
	}
	return subjectOrder(stmts), nil
}

// subjectDescriptors returns the descriptors of the subjects of stmts,
// by digest: each must be a's manifest or one a lists.
func subjectDescriptors(a image.Artifact, stmts []Statement) (map[digest.Digest]ocispec.Descriptor, error) {
	ms := map[digest.Digest]ocispec.Descriptor{}
	for _, m := range signed(a) {
		ms[m.Digest()] = m.Descriptor()
	}
	out := map[digest.Digest]ocispec.Descriptor{}
	for _, s := range stmts {
		if len(s.Subjects) == 0 {
			return nil, fmt.Errorf("signature: the %s statement has no subject; name the manifests it is about", s.PredicateType)
		}
		for _, sub := range s.Subjects {
			d, ok := ms[sub.Digest]
			if !ok {
				return nil, fmt.Errorf("signature: the %s statement is about %s, which is neither %s nor a manifest it lists", s.PredicateType, sub.Digest, a.Digest())
			}
			out[sub.Digest] = d
		}
	}
	return out, nil
}

// subjectOrder returns the subjects of stmts, each once, in the order
// they first appear.
func subjectOrder(stmts []Statement) []digest.Digest {
	var out []digest.Digest
	seen := map[digest.Digest]bool{}
	for _, s := range stmts {
		for _, sub := range s.Subjects {
			if !seen[sub.Digest] {
				seen[sub.Digest] = true
				out = append(out, sub.Digest)
			}
		}
	}
	return out
}
