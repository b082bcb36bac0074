package signature

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/opencontainers/go-digest"
)

// BundleReferrers returns a bundle referrer (NewBundle, BundleReferrer)
// for each manifest Sign signs in a, in that order: a's manifest and,
// for an index, each image and index it lists. Their creation time is
// now; annotations go into each bundle as NewBundle puts them.
func BundleReferrers(a image.Artifact, key crypto.Signer, annotations map[string]string) ([]image.Artifact, error) {
	now := time.Now()
	var out []image.Artifact
	for _, m := range signed(a) {
		b, err := NewBundle(key, m.Digest(), annotations)
		if err != nil {
			return nil, err
		}
		r, err := BundleReferrer(m.Descriptor(), b, now)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// SignLayout signs a, which the OCI layout at dir holds, with key: it
// adds the bundle referrers BundleReferrers makes to the layout,
// untagged, where layout.Layout.Referrers finds them and "minimage push
// DIR:TAG REF" pushes them with a. A layout's signatures are always
// bundles, whatever opts.Format; opts.Annotations go into them. It
// returns the digests signed, a's first.
func SignLayout(ctx context.Context, dir string, a image.Artifact, key crypto.Signer, opts Options) ([]digest.Digest, error) {
	refs, err := BundleReferrers(a, key, opts.Annotations)
	if err != nil {
		return nil, err
	}
	var done []digest.Digest
	for _, r := range refs {
		if err := layout.Write(ctx, dir, r, layout.Options{}); err != nil {
			return done, fmt.Errorf("signature: sign %s in %s: %w", subjectOf(r), dir, err)
		}
		done = append(done, subjectOf(r))
	}
	return done, nil
}

// VerifyLayout checks that a, as read from the layout l, is signed by
// key: each manifest Sign signs must have a bundle referrer in l whose
// signature by key names it and holds opts.Annotations. It returns the
// payload that verified for each, a's first; the first manifest without
// one is an error naming its digest, wrapping ErrNoSignature,
// ErrWrongKey or ErrDigestMismatch.
func VerifyLayout(ctx context.Context, l *layout.Layout, a image.Artifact, key *ecdsa.PublicKey, opts Options) ([]Payload, error) {
	var ps []Payload
	for _, m := range signed(a) {
		mine, err := layoutReferrersOf(ctx, l, m)
		if err != nil {
			return ps, err
		}
		p, err := verifyBundles(ctx, mine, key, m.Digest(), opts.Annotations)
		if errors.Is(err, ErrNoSignature) {
			return ps, fmt.Errorf("signature: %s: %w: the layout holds no sigstore bundle referrer of it; sign it with minimage sign --key or build --sign-key", m.Digest(), err)
		}
		if err != nil {
			return ps, fmt.Errorf("signature: %s: %w", m.Digest(), err)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// signBundles is Sign with FormatBundle: the referrers pushed to repo.
func signBundles(ctx context.Context, repo string, a image.Artifact, key crypto.Signer, opts Options) ([]digest.Digest, error) {
	refs, err := BundleReferrers(a, key, opts.Annotations)
	if err != nil {
		return nil, err
	}
	var done []digest.Digest
	for _, r := range refs {
		if _, err := remote.PushReferrers(ctx, repo, []image.Artifact{r}, opts.Remote); err != nil {
			return done, fmt.Errorf("signature: push the signature of %s: %w", subjectOf(r), err)
		}
		done = append(done, subjectOf(r))
	}
	return done, nil
}

// remoteBundles returns the signature bundles of the referrers of d in
// repo.
func remoteBundles(ctx context.Context, repo string, d digest.Digest, opts Options) ([]Bundle, error) {
	rs, err := remoteBundleReferrers(ctx, repo, d, func(t string) bool { return t == "" || t == PredicateCosignSign }, opts)
	if err != nil {
		return nil, err
	}
	return ReadBundles(ctx, rs)
}

// remoteBundleReferrers pulls the bundle referrers of d in repo whose
// AnnotationBundlePredicateType, as the referrers list gives it, keep
// keeps.
func remoteBundleReferrers(ctx context.Context, repo string, d digest.Digest, keep func(predicateType string) bool, opts Options) ([]image.Artifact, error) {
	ds, err := remote.Referrers(ctx, repo, d, MediaTypeBundle, opts.Remote)
	if err != nil {
		return nil, fmt.Errorf("signature: read the sigstore bundle referrers of %s: %w", d, err)
	}
	if len(ds) > maxSignatures {
		return nil, fmt.Errorf("signature: %s: %w: more than %d sigstore bundle referrers", d, ErrCorrupt, maxSignatures)
	}
	var rs []image.Artifact
	for _, rd := range ds {
		if !keep(rd.Annotations[AnnotationBundlePredicateType]) {
			continue
		}
		r, err := remote.Pull(ctx, repo+"@"+rd.Digest.String(), opts.Remote)
		if err != nil {
			return nil, fmt.Errorf("signature: read the sigstore bundle referrer %s of %s: %w", rd.Digest, d, err)
		}
		if subjectOf(r) == d {
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// verifyBundles is verifyAny over the bundles the referrers rs hold.
func verifyBundles(ctx context.Context, rs []image.Artifact, key *ecdsa.PublicKey, d digest.Digest, annotations map[string]string) (Payload, error) {
	bundles, err := ReadBundles(ctx, rs)
	if err != nil {
		return Payload{}, err
	}
	cands := make([]verifiable, len(bundles))
	for i, b := range bundles {
		cands[i] = b
	}
	return verifyAny(cands, key, d, annotations)
}

// subjectOf returns the digest of r's subject, or "" for none.
// layoutReferrersOf returns the referrers in l whose subject is m itself
// (layout.Layout.Referrers also gives those of an index's children).
func layoutReferrersOf(ctx context.Context, l *layout.Layout, m image.Artifact) ([]image.Artifact, error) {
	all, err := l.Referrers(ctx, m)
	if err != nil {
		return nil, err
	}
	var mine []image.Artifact
	for _, r := range all {
		if subjectOf(r) == m.Digest() {
			mine = append(mine, r)
		}
	}
	return mine, nil
}

func subjectOf(r image.Artifact) digest.Digest {
	switch r := r.(type) {
	case *image.Manifest:
		if sub := r.Subject(); sub != nil {
			return sub.Digest
		}
	case *image.Image:
		if sub := r.Subject(); sub != nil {
			return sub.Digest
		}
	}
	return ""
}
