package signature

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"slices"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/opencontainers/go-digest"
)

// Options configures Sign and Verify. The zero value reaches the
// registry with remote's defaults and adds or requires no annotations.
type Options struct {
	// Remote is how the registry is reached: TLS, credentials, retries.
	Remote remote.Options

	// Annotations go into the optional section of each payload Sign
	// makes (cosign sign -a KEY=VAL), or a bundle's subject annotations.
	// For Verify, a signature counts only when its payload holds each of
	// them with that value (cosign verify -a).
	Annotations map[string]string

	// Format is how Sign stores signatures, and Attest attestations, in
	// a registry: FormatTag (the zero value) or FormatBundle. Verify and
	// VerifyAttestation read both, whatever it is; SignLayout and
	// AttestLayout write bundles, whatever it is.
	Format Format
}

// Format is a way of storing signatures.
type Format int

const (
	// FormatTag is cosign's tag scheme: the payloads and signatures are
	// the layers of the manifest tagged SignatureTag, as cosign v2 sign
	// --key and cosign v3 sign --new-bundle-format=false write them.
	FormatTag Format = iota
	// FormatBundle is the OCI 1.1 form: each signature a sigstore bundle
	// (Bundle) in a referrer of the manifest signed (BundleReferrer),
	// found through the registry's referrers API or the referrers tag
	// schema, as cosign v3 sign --key writes it.
	FormatBundle
)

// ParseFormat returns the Format that name ("tag" or "bundle") names.
func ParseFormat(name string) (Format, error) {
	switch name {
	case "tag":
		return FormatTag, nil
	case "bundle":
		return FormatBundle, nil
	}
	return 0, fmt.Errorf("signature: format %q: want tag (cosign's .sig tags) or bundle (sigstore bundle referrers, cosign v3's default)", name)
}

// String returns the name ParseFormat reads.
func (f Format) String() string {
	if f == FormatBundle {
		return "bundle"
	}
	return "tag"
}

// Sign signs a in the registry repository ref names: a's manifest and,
// when a is an index, each image and index it lists (artifacts such as
// SBOMs are left out). In cosign's tag scheme (FormatTag), each gets a
// payload naming its digest, signed with key and added to the signatures
// under SignatureTag in that repository; signatures already there are
// kept. With FormatBundle, each gets a bundle referrer (NewBundle,
// BundleReferrer) pushed beside it (remote.PushReferrers). a must be in
// that repository: pushed there, or pulled from it. Sign returns the
// digests signed, a's first.
//
// Two Sign calls for one manifest at once in the tag scheme may lose one
// signature, as two cosign sign calls may: each reads the signatures,
// adds its own, and writes them back.
func Sign(ctx context.Context, ref string, a image.Artifact, key crypto.Signer, opts Options) ([]digest.Digest, error) {
	repo, identity, err := repository(ref)
	if err != nil {
		return nil, err
	}
	var optional map[string]any
	for k, v := range opts.Annotations {
		if optional == nil {
			optional = map[string]any{}
		}
		optional[k] = v
	}
	if opts.Format == FormatBundle {
		return signBundles(ctx, repo, a, key, opts)
	}
	var signed []digest.Digest
	for _, d := range manifests(a) {
		s, err := NewSignature(key, Payload{Reference: identity, Digest: d, Optional: optional})
		if err != nil {
			return signed, err
		}
		tag := repo + ":" + SignatureTag(d)
		base, err := remote.Pull(ctx, tag, opts.Remote)
		if errors.Is(err, image.ErrNotFound) {
			base, err = nil, nil
		}
		if err != nil {
			return signed, fmt.Errorf("signature: read the signatures of %s: %w", d, err)
		}
		next, err := AppendSignatures(base, s)
		if err != nil {
			return signed, err
		}
		if _, err := remote.Push(ctx, tag, next, opts.Remote); err != nil {
			return signed, fmt.Errorf("signature: push the signatures of %s: %w", d, err)
		}
		signed = append(signed, d)
	}
	return signed, nil
}

// Verify checks that a, as pulled from the repository ref names, is
// signed by key: a's manifest and, when a is an index, each image and
// index it lists, as Sign signs them (VerifyDigest). It returns the
// payload that verified for each, a's first. The first manifest without
// a good signature is an error naming its digest, wrapping
// ErrNoSignature, ErrWrongKey or ErrDigestMismatch.
func Verify(ctx context.Context, ref string, a image.Artifact, key *ecdsa.PublicKey, opts Options) ([]Payload, error) {
	var ps []Payload
	for _, d := range manifests(a) {
		p, err := VerifyDigest(ctx, ref, d, key, opts)
		if err != nil {
			return ps, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// VerifyDigest checks that the manifest d, in the repository ref names,
// has a signature by key that names d and holds opts.Annotations, in
// either form (cosign's tag scheme, or a sigstore bundle referrer), and
// returns its payload. Without one, the error names d and the reason:
// ErrNoSignature (none at all), ErrDigestMismatch (one by key, but for
// another manifest) or ErrWrongKey (none that key made, or they were
// changed since).
func VerifyDigest(ctx context.Context, ref string, d digest.Digest, key *ecdsa.PublicKey, opts Options) (Payload, error) {
	repo, _, err := repository(ref)
	if err != nil {
		return Payload{}, err
	}
	var cands []verifiable
	a, err := remote.Pull(ctx, repo+":"+SignatureTag(d), opts.Remote)
	switch {
	case errors.Is(err, image.ErrNotFound):
	case err != nil:
		return Payload{}, fmt.Errorf("signature: read the signatures of %s: %w", d, err)
	default:
		sigs, err := ReadSignatures(ctx, a)
		if err != nil {
			return Payload{}, err
		}
		for _, s := range sigs {
			cands = append(cands, s)
		}
		if p, err := verifyAny(cands, key, d, opts.Annotations); err == nil {
			return p, nil
		}
	}
	bundles, err := remoteBundles(ctx, repo, d, opts)
	if err != nil {
		return Payload{}, err
	}
	for _, b := range bundles {
		cands = append(cands, b)
	}
	p, err := verifyAny(cands, key, d, opts.Annotations)
	if errors.Is(err, ErrNoSignature) {
		return Payload{}, fmt.Errorf("signature: %s in %s: %w (no tag %s, no sigstore bundle referrer); sign it with minimage sign --key or cosign sign --key", d, repo, ErrNoSignature, SignatureTag(d))
	}
	if err != nil {
		return Payload{}, fmt.Errorf("signature: %s in %s: %w", d, repo, err)
	}
	return p, nil
}

// PullVerified pulls what ref names only if key signed it: all of it
// (as remote.Pull) for a zero p, else the image for platform p (as
// remote.PullImage). Each manifest returned is checked as Verify checks
// it, and the image for p is pulled by the digest of the signed index,
// so that it is the one the signature is for. opts.Remote.Progress
// reports the pull, not the reads of signatures.
func PullVerified(ctx context.Context, ref string, p image.Platform, key *ecdsa.PublicKey, opts Options) (image.Artifact, error) {
	top, err := remote.Pull(ctx, ref, opts.Remote)
	if err != nil {
		return nil, err
	}
	sopts := opts
	sopts.Remote.Progress = nil
	if p == (image.Platform{}) {
		_, err := Verify(ctx, ref, top, key, sopts)
		return top, err
	}
	if _, err := VerifyDigest(ctx, ref, top.Digest(), key, sopts); err != nil {
		return nil, err
	}
	repo, _, err := repository(ref)
	if err != nil {
		return nil, err
	}
	img, err := remote.PullImage(ctx, repo+"@"+top.Digest().String(), p, opts.Remote)
	if err != nil {
		return nil, err
	}
	_, err = Verify(ctx, ref, img, key, sopts)
	return img, err
}

// Verified is what VerifyReference checked.
type Verified struct {
	// Repository is REGISTRY/REPOSITORY, as remote.Reference.Name
	// spells it.
	Repository string
	// Artifact is what the reference names, as pulled.
	Artifact image.Artifact
	// Payloads are the signature payloads that verified, as Verify
	// returns them: Artifact's first.
	Payloads []Payload
	// Blobs is the number of distinct blobs read and checked.
	Blobs int
}

// VerifyReference pulls what ref names and checks all of it, as a deploy
// gate would (cosign verify --key, then verify-attestation --key --type
// for each of predicateTypes, then every blob): each manifest must be
// signed by key (Verify), the manifest ref names must have an
// attestation of each predicate type signed by key (VerifyAttestation),
// and every blob must match its digest and size (image.Verify). The
// first failure is the error.
func VerifyReference(ctx context.Context, ref string, key *ecdsa.PublicKey, predicateTypes []string, opts Options) (Verified, error) {
	repo, _, err := repository(ref)
	if err != nil {
		return Verified{}, err
	}
	a, err := remote.Pull(ctx, ref, opts.Remote)
	if err != nil {
		return Verified{}, err
	}
	v := Verified{Repository: repo, Artifact: a}
	if v.Payloads, err = Verify(ctx, ref, a, key, opts); err != nil {
		return v, err
	}
	for _, t := range predicateTypes {
		if _, err := VerifyAttestation(ctx, ref, a.Digest(), key, t, opts); err != nil {
			return v, err
		}
	}
	v.Blobs, err = image.Verify(ctx, a)
	return v, err
}

// verifiable is a stored signature: a Signature or a Bundle.
type verifiable interface {
	Verify(key *ecdsa.PublicKey, d digest.Digest) (Payload, error)
}

// verifyAny returns the payload of the first of sigs that key made for
// d with annotations; failing that, the most telling reason none did.
func verifyAny(sigs []verifiable, key *ecdsa.PublicKey, d digest.Digest, annotations map[string]string) (Payload, error) {
	if len(sigs) == 0 {
		return Payload{}, ErrNoSignature
	}
	var mismatch, missing, corrupt error
	for _, s := range sigs {
		p, err := s.Verify(key, d)
		switch {
		case errors.Is(err, ErrDigestMismatch):
			mismatch = err
		case errors.Is(err, ErrCorrupt):
			corrupt = err
		case err == nil && !hasAnnotations(p, annotations):
			missing = fmt.Errorf("%w: its signatures by the key lack the annotations asked for", ErrWrongKey)
		case err == nil:
			return p, nil
		}
	}
	switch {
	case mismatch != nil:
		return Payload{}, mismatch
	case missing != nil:
		return Payload{}, missing
	case corrupt != nil:
		return Payload{}, fmt.Errorf("signed by the key, but %w", corrupt)
	}
	return Payload{}, fmt.Errorf("%w: no signature of the %d there verifies with it (made by another key, or changed since)", ErrWrongKey, len(sigs))
}

func hasAnnotations(p Payload, want map[string]string) bool {
	for k, v := range want {
		got, ok := p.Optional[k]
		if !ok || fmt.Sprint(got) != v {
			return false
		}
	}
	return true
}

// repository returns the repository ref names, as Push and Pull take it,
// and as a payload's docker-reference names it: as cosign writes it,
// with Docker Hub as index.docker.io.
func repository(ref string) (repo, identity string, err error) {
	r, err := remote.ParseReference(ref)
	if err != nil {
		return "", "", fmt.Errorf("signature: %w", err)
	}
	repo = r.Name()
	identity = repo
	if r.Registry == "docker.io" {
		identity = "index.docker.io/" + r.Repository
	}
	return repo, identity, nil
}

// manifests returns the digests Sign signs and Verify checks: a's, then
// those of the images and indexes a lists, depth first, each once.
func manifests(a image.Artifact) []digest.Digest {
	var ds []digest.Digest
	for _, m := range signed(a) {
		ds = append(ds, m.Digest())
	}
	return ds
}

// signed returns the manifests Sign signs, as manifests lists them.
func signed(a image.Artifact) []image.Artifact {
	out := []image.Artifact{a}
	ix, ok := a.(*image.Index)
	if !ok {
		return out
	}
	for _, m := range ix.Manifests() {
		switch m.(type) {
		case *image.Image, *image.Index:
			for _, c := range signed(m) {
				if !slices.ContainsFunc(out, func(o image.Artifact) bool { return o.Digest() == c.Digest() }) {
					out = append(out, c)
				}
			}
		}
	}
	return out
}
