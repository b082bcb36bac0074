// Package signature signs images in registries with keys, and verifies
// them, in cosign's formats: cosign verify --key accepts what Sign signs,
// and Verify accepts what cosign sign --key signs.
//
//	key, err := signature.ReadPrivateKeyFile("cosign.key", password)
//	signed, err := signature.Sign(ctx, "ghcr.io/me/app:v1", idx, key, signature.Options{})
//
//	pub, err := signature.ReadPublicKeyFile("cosign.pub")
//	a, err := remote.Pull(ctx, "ghcr.io/me/app:v1", remote.Options{})
//	payloads, err := signature.Verify(ctx, "ghcr.io/me/app:v1", a, pub, signature.Options{})
//
// # Keys
//
// Key pairs are ECDSA P-256, in cosign generate-key-pair's files:
// the public key a PKIX "PUBLIC KEY" PEM block, the private key PKCS #8
// encrypted with a key derived from a password by scrypt and sealed with
// NaCl secretbox (go-securesystemslib's layout), in an "ENCRYPTED
// SIGSTORE PRIVATE KEY" PEM block. Older cosign's "ENCRYPTED COSIGN
// PRIVATE KEY" is read too. WriteKeyFiles writes the private key readable
// by its owner only, and ReadPrivateKeyFile refuses one that others may
// read (ErrKeyPermissions).
//
// # Signatures
//
// Sign signs a manifest, and for an index each image and index it lists,
// in cosign's tag scheme: a simple-signing Payload naming the manifest's
// digest, signed with ECDSA-SHA256, becomes a layer of the image manifest
// tagged SignatureTag ("sha256-HEX.sig") in the image's repository, beside
// the signatures already there. Verify checks the same manifests: each
// must have a signature by the key whose payload names it. A manifest
// without one is an error naming its digest and why: ErrNoSignature,
// ErrWrongKey or ErrDigestMismatch.
//
// NewSignature, AppendSignatures and ReadSignatures are the steps Sign
// and Verify take, over image.Artifact, for a store of one's own.
//
// # Sigstore bundles
//
// With Options.Format FormatBundle, Sign stores each signature as cosign
// v3 sign --key does by default: a sigstore bundle v0.3 (Bundle) whose
// DSSE envelope signs an in-toto statement of type PredicateCosignSign
// about the manifest, in an OCI 1.1 referrer of it (BundleReferrer,
// artifactType MediaTypeBundle), which the registry's referrers API or
// the referrers tag schema lists. Verify and VerifyDigest accept a
// signature in either form. An OCI layout holds its signatures as bundle
// referrers: SignLayout adds them, VerifyLayout checks them, and a push
// of the layout's image carries them along.
//
// # Attestations
//
// Attest signs in-toto statements (Statement: SLSA provenance, an SPDX
// document, any predicate) in DSSE envelopes of payload type
// MediaTypeInToto and stores them as cosign attest does: in the tag
// scheme, layers of type MediaTypeDSSE, annotated with their predicate
// type, of the manifest tagged AttestationTag ("sha256-HEX.att") of each
// subject; with FormatBundle, as cosign v3 attest --new-bundle-format
// does, each statement a sigstore bundle (NewAttestationBundle) in a
// referrer of each subject (AttestationReferrers), annotated with
// AnnotationBundlePredicateType. AttestLayout adds them to a layout, as
// bundle referrers. VerifyAttestation checks that a manifest has one of
// a type, signed by the key, about it, in either form, as cosign
// verify-attestation --type does; VerifyLayoutAttestation checks a
// layout's. NewAttestation, AppendAttestations, ReadAttestations and
// ReadBundleAttestations are their steps.
//
// # Not here
//
// Keyless signing needs Fulcio and Rekor on the network; transparency
// log entries are neither written nor checked, as with cosign's
// --tlog-upload=false and --insecure-ignore-tlog (cosign v3: sign
// --use-signing-config=false; verify --insecure-ignore-tlog). Bundles
// holding a message signature rather than a DSSE envelope are not read.
package signature
