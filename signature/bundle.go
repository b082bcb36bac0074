package signature

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Sigstore bundles (v0.3) stored as OCI 1.1 referrers, as cosign v3 sign
// --key writes them by default: the bundle is the one layer of an
// artifact manifest of type MediaTypeBundle whose subject is the manifest
// signed.
const (
	// MediaTypeBundle is the media type of a sigstore bundle v0.3: the
	// artifactType of its referrer manifest, and its layer's.
	MediaTypeBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// PredicateCosignSign is the predicate type of the in-toto statement
	// a signature bundle signs: a statement about the manifest, with an
	// empty predicate and the payload annotations (cosign sign -a) as
	// the subject's annotations.
	PredicateCosignSign = "https://sigstore.dev/cosign/sign/v1"
	// AnnotationBundleContent is the referrer manifest's annotation
	// naming what the bundle holds: "dsse-envelope".
	AnnotationBundleContent = "dev.sigstore.bundle.content"
	// AnnotationBundlePredicateType is the referrer manifest's
	// annotation holding the signed statement's predicate type.
	AnnotationBundlePredicateType = "dev.sigstore.bundle.predicateType"
)

// maxBundle bounds a bundle read; a key-signed one is under a kilobyte.
const maxBundle = 1 << 20

// Bundle is one signature of a manifest as a sigstore bundle v0.3: a
// DSSE envelope, of payload type MediaTypeInToto, signing an in-toto
// statement of type PredicateCosignSign about the manifest, with the
// signing key's hint (base64 of the SHA-256 of its PKIX DER form) as
// verification material and no transparency log entries.
type Bundle struct {
	// Data is the bundle's JSON, exactly as stored.
	Data []byte
}

// bundleJSON is the protobuf JSON form of a sigstore bundle, as far as a
// key-signed DSSE bundle uses it.
type bundleJSON struct {
	MediaType            string `json:"mediaType"`
	VerificationMaterial struct {
		PublicKey *publicKeyHint `json:"publicKey,omitempty"`
	} `json:"verificationMaterial"`
	DSSEEnvelope     *bundleEnvelope `json:"dsseEnvelope,omitempty"`
	MessageSignature json.RawMessage `json:"messageSignature,omitempty"`
}

// bundleEnvelope is a DSSE envelope as the bundle's protobuf JSON writes
// it: the key id left out when empty.
type bundleEnvelope struct {
	Payload     []byte      `json:"payload"`
	PayloadType string      `json:"payloadType"`
	Signatures  []bundleSig `json:"signatures"`
}

type bundleSig struct {
	Sig   []byte `json:"sig"`
	KeyID string `json:"keyid,omitempty"`
}

type publicKeyHint struct {
	Hint string `json:"hint"`
}

// signStatement is the in-toto statement a signature bundle signs, with
// cosign's field order.
type signStatement struct {
	Type          string          `json:"_type"`
	Subject       []signSubject   `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type signSubject struct {
	Digest      map[string]string `json:"digest"`
	Annotations map[string]any    `json:"annotations"`
}

// NewBundle returns a signature of the manifest d by key (ECDSA P-256) as
// a sigstore bundle; annotations (cosign sign -a) become the statement
// subject's annotations, which Verify returns as the payload's Optional.
func NewBundle(key crypto.Signer, d digest.Digest, annotations map[string]string) (Bundle, error) {
	var st signStatement
	st.Type, st.PredicateType, st.Predicate = StatementType, PredicateCosignSign, json.RawMessage("{}")
	sub := signSubject{Digest: map[string]string{d.Algorithm().String(): d.Encoded()}, Annotations: map[string]any{}}
	for k, v := range annotations {
		sub.Annotations[k] = v
	}
	st.Subject = []signSubject{sub}
	payload, err := json.Marshal(st)
	if err != nil {
		return Bundle{}, fmt.Errorf("signature: bundle for %s: %w", d, err)
	}
	return newBundle(key, payload, d.String())
}

// NewAttestationBundle returns s signed by key (ECDSA P-256) as a
// sigstore bundle, as cosign v3 attest --key writes it: the bundle's DSSE
// envelope, of payload type MediaTypeInToto, holds s. Its referrers
// (BundleReferrer, one per subject) are what AttestationReferrers makes.
func NewAttestationBundle(key crypto.Signer, s Statement) (Bundle, error) {
	payload, err := s.MarshalJSON()
	if err != nil {
		return Bundle{}, err
	}
	return newBundle(key, payload, "the "+s.PredicateType+" statement")
}

// newBundle returns the in-toto statement payload signed by key in the
// DSSE envelope of a bundle; what names it in errors.
func newBundle(key crypto.Signer, payload []byte, what string) (Bundle, error) {
	if err := checkSigner(key); err != nil {
		return Bundle{}, err
	}
	sum := sha256.Sum256(pae(MediaTypeInToto, payload))
	sig, err := key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return Bundle{}, fmt.Errorf("signature: sign %s: %w", what, err)
	}
	hint, err := keyHint(key.Public().(*ecdsa.PublicKey))
	if err != nil {
		return Bundle{}, err
	}
	var b bundleJSON
	b.MediaType = MediaTypeBundle
	b.VerificationMaterial.PublicKey = &publicKeyHint{hint}
	b.DSSEEnvelope = &bundleEnvelope{Payload: payload, PayloadType: MediaTypeInToto, Signatures: []bundleSig{{Sig: sig}}}
	data, err := json.Marshal(b)
	if err != nil {
		return Bundle{}, fmt.Errorf("signature: bundle for %s: %w", what, err)
	}
	return Bundle{Data: data}, nil
}

// Verify checks that b holds a signature by key over a statement of type
// PredicateCosignSign about the manifest d, and returns it as a Payload:
// d, and the subject's annotations as Optional (Reference is left empty:
// a bundle does not name a repository). A bundle key did not sign, or
// that was changed since, is an ErrWrongKey error; one about another
// manifest an ErrDigestMismatch error; one that is not a sigstore bundle
// v0.3 with a DSSE envelope, an ErrCorrupt error.
func (b Bundle) Verify(key *ecdsa.PublicKey, d digest.Digest) (Payload, error) {
	env, err := b.envelope()
	if err != nil {
		return Payload{}, err
	}
	sum := sha256.Sum256(pae(env.PayloadType, env.Payload))
	signed := false
	for _, s := range env.Signatures {
		signed = signed || ecdsa.VerifyASN1(key, sum[:], s.Sig)
	}
	if !signed {
		return Payload{}, ErrWrongKey
	}
	var st signStatement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		return Payload{}, fmt.Errorf("%w: bundle statement: %v", ErrCorrupt, err)
	}
	if st.PredicateType != PredicateCosignSign {
		return Payload{}, fmt.Errorf("%w: the bundle's statement is of type %q, not a signature (%s)", ErrCorrupt, st.PredicateType, PredicateCosignSign)
	}
	var named []string
	for _, s := range st.Subject {
		if s.Digest[d.Algorithm().String()] == d.Encoded() {
			return Payload{Digest: d, Optional: s.Annotations}, nil
		}
		for alg, hex := range s.Digest {
			named = append(named, alg+":"+hex)
		}
	}
	return Payload{}, fmt.Errorf("%w: the bundle's statement names %v", ErrDigestMismatch, named)
}

// Attestation returns the DSSE envelope b holds as an Attestation, whose
// Verify checks it as cosign verify-attestation does; its PredicateType
// is the statement's, read before any signature is checked. A bundle
// that is not a sigstore bundle v0.3 with a DSSE envelope of an in-toto
// statement is an ErrCorrupt error.
func (b Bundle) Attestation() (Attestation, error) {
	env, err := b.envelope()
	if err != nil {
		return Attestation{}, err
	}
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(env.Payload, &st); err != nil || st.PredicateType == "" {
		return Attestation{}, fmt.Errorf("%w: the bundle's payload is not an in-toto statement (%v)", ErrCorrupt, err)
	}
	data, err := json.Marshal(env)
	if err != nil {
		return Attestation{}, fmt.Errorf("signature: %w", err)
	}
	return Attestation{PredicateType: st.PredicateType, Envelope: data}, nil
}

// envelope returns b's DSSE envelope, checked to be of payload type
// MediaTypeInToto in a bundle of MediaTypeBundle.
func (b Bundle) envelope() (*bundleEnvelope, error) {
	var w bundleJSON
	if err := json.Unmarshal(b.Data, &w); err != nil {
		return nil, fmt.Errorf("%w: bundle: %v", ErrCorrupt, err)
	}
	switch {
	case w.MediaType != MediaTypeBundle:
		return nil, fmt.Errorf("%w: bundle of media type %q, want %q", ErrCorrupt, w.MediaType, MediaTypeBundle)
	case w.DSSEEnvelope == nil:
		return nil, fmt.Errorf("%w: the bundle holds no DSSE envelope (a message signature is not read)", ErrCorrupt)
	case w.DSSEEnvelope.PayloadType != MediaTypeInToto:
		return nil, fmt.Errorf("%w: bundle envelope of payload type %q, want %q", ErrCorrupt, w.DSSEEnvelope.PayloadType, MediaTypeInToto)
	}
	return w.DSSEEnvelope, nil
}

// BundleReferrer returns the referrer manifest that stores b, a
// signature or an attestation, for subject, as cosign writes it: an OCI
// image manifest of artifactType MediaTypeBundle with the empty config,
// b as its one layer, subject as its subject, and the annotations
// AnnotationBundleContent, AnnotationBundlePredicateType (the predicate
// type of b's statement) and org.opencontainers.image.created (created,
// in UTC, to the second). A b that holds no in-toto statement is an
// ErrCorrupt error.
func BundleReferrer(subject ocispec.Descriptor, b Bundle, created time.Time) (*image.Manifest, error) {
	att, err := b.Attestation()
	if err != nil {
		return nil, fmt.Errorf("signature: referrer of %s: %w", subject.Digest, err)
	}
	cfg := image.BlobFromBytes(ocispec.MediaTypeEmptyJSON, []byte("{}"))
	layer := image.BlobFromBytes(MediaTypeBundle, b.Data)
	m := ggcrManifest{
		SchemaVersion: 2,
		MediaType:     ocispec.MediaTypeImageManifest,
		Config:        ggcrDescriptor{MediaType: cfg.Descriptor.MediaType, Size: cfg.Descriptor.Size, Digest: cfg.Descriptor.Digest, ArtifactType: MediaTypeBundle},
		Layers:        []ggcrDescriptor{{MediaType: MediaTypeBundle, Size: layer.Descriptor.Size, Digest: layer.Descriptor.Digest}},
		Annotations: map[string]string{
			AnnotationBundleContent:       "dsse-envelope",
			AnnotationBundlePredicateType: att.PredicateType,
			ocispec.AnnotationCreated:     created.UTC().Format(time.RFC3339),
		},
		Subject:      &ggcrDescriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest},
		ArtifactType: MediaTypeBundle,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	a, err := image.ManifestFromRaw(raw, []image.Blob{cfg, layer})
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return a, nil
}

// ReadBundles returns the signature bundles that the referrer manifests
// rs hold, in order: the layers of type MediaTypeBundle of each manifest
// of artifactType MediaTypeBundle whose AnnotationBundlePredicateType is
// PredicateCosignSign or absent, read through the blob's Open (and so
// checked against its digest). Other referrers, such as SBOMs and
// attestations (ReadBundleAttestations), are skipped.
func ReadBundles(ctx context.Context, rs []image.Artifact) ([]Bundle, error) {
	return readBundles(ctx, rs, maxBundle, func(t string) bool { return t == "" || t == PredicateCosignSign })
}

// ReadBundleAttestations returns the attestations that the referrer
// manifests rs hold as sigstore bundles (Bundle.Attestation), in order:
// as ReadBundles, for the manifests whose AnnotationBundlePredicateType
// is predicateType ("" for any but PredicateCosignSign). A bundle that
// holds no in-toto statement is an ErrCorrupt error.
func ReadBundleAttestations(ctx context.Context, rs []image.Artifact, predicateType string) ([]Attestation, error) {
	bs, err := readBundles(ctx, rs, maxEnvelope, func(t string) bool { return wantAttestation(t, predicateType) })
	if err != nil {
		return nil, err
	}
	atts := make([]Attestation, len(bs))
	for i, b := range bs {
		if atts[i], err = b.Attestation(); err != nil {
			return nil, fmt.Errorf("signature: %w", err)
		}
	}
	return atts, nil
}

// readBundles returns the bundles, of at most limit bytes, of the
// bundle referrers among rs whose predicate type annotation keep keeps.
func readBundles(ctx context.Context, rs []image.Artifact, limit int64, keep func(predicateType string) bool) ([]Bundle, error) {
	var out []Bundle
	for _, r := range rs {
		m, ok := r.(*image.Manifest)
		if !ok || m.ArtifactType() != MediaTypeBundle || !keep(m.Manifest().Annotations[AnnotationBundlePredicateType]) {
			continue
		}
		layers, err := readLayers(ctx, m, MediaTypeBundle, limit)
		if err != nil {
			return nil, err
		}
		for _, l := range layers {
			out = append(out, Bundle{Data: l.data})
		}
	}
	return out, nil
}

// wantAttestation reports whether a bundle referrer annotated with the
// predicate type t may hold an attestation of predicateType ("" for
// any): a referrer without the annotation may.
func wantAttestation(t, predicateType string) bool {
	return t != PredicateCosignSign && (t == "" || predicateType == "" || t == predicateType)
}

// keyHint is the public key hint of a bundle's verification material,
// as cosign writes it: base64 of the SHA-256 of the PKIX DER key.
func keyHint(k *ecdsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", fmt.Errorf("signature: %w: %v", ErrInvalidKey, err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
