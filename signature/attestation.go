package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/opencontainers/go-digest"
)

// In-toto attestations, as cosign attest stores them: a Statement
// signed in a DSSE envelope, the envelope a layer of the manifest tagged
// AttestationTag in the subject's repository.
const (
	// MediaTypeInToto is the DSSE payload type of a Statement, and the
	// media type of an unsigned Statement stored as a referrer.
	MediaTypeInToto = "application/vnd.in-toto+json"
	// MediaTypeDSSE is the media type of an attestation layer: its bytes
	// are the DSSE envelope.
	MediaTypeDSSE = "application/vnd.dsse.envelope.v1+json"
	// AnnotationPredicateType is the layer annotation that holds the
	// statement's predicate type.
	AnnotationPredicateType = "predicateType"
	// StatementType is the _type of the statements NewAttestation signs.
	StatementType = "https://in-toto.io/Statement/v1"
)

// Predicate types minimage writes.
const (
	// PredicateSLSAProvenance1 is SLSA provenance v1.
	PredicateSLSAProvenance1 = "https://slsa.dev/provenance/v1"
	// PredicateSPDX is an SPDX document.
	PredicateSPDX = "https://spdx.dev/Document"
)

// predicateNames are cosign's names for predicate types (cosign attest
// --type, cosign verify-attestation --type).
var predicateNames = map[string]string{
	"custom":           "https://cosign.sigstore.dev/attestation/v1",
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1":  PredicateSLSAProvenance1,
	"spdx":             PredicateSPDX,
	"spdxjson":         PredicateSPDX,
	"cyclonedx":        "https://cyclonedx.org/bom",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
	"openvex":          "https://openvex.dev/ns",
}

// PredicateType returns the predicate type that name gives: one of
// cosign's names (slsaprovenance1, spdxjson, cyclonedx, ...), or a URI,
// returned as it is. Anything else is an error.
func PredicateType(name string) (string, error) {
	if t, ok := predicateNames[name]; ok {
		return t, nil
	}
	if u, err := url.ParseRequestURI(name); err == nil && u.Scheme != "" {
		return name, nil
	}
	return "", fmt.Errorf("signature: predicate type %q: give a URI or one of cosign's names: slsaprovenance1, spdxjson, cyclonedx, slsaprovenance, openvex, vuln, custom", name)
}

// Subject is an artifact a Statement is about: a manifest, by digest.
type Subject struct {
	// Name names the artifact, such as its repository.
	Name string
	// Digest is the manifest's digest.
	Digest digest.Digest
}

// Statement is an in-toto statement (v1): predicate, of PredicateType,
// about Subjects.
type Statement struct {
	Subjects      []Subject
	PredicateType string
	// Predicate is the predicate's JSON; MarshalJSON writes it byte for
	// byte, so that an SBOM keeps the bytes of its file.
	Predicate []byte
}

type subjectJSON struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// MarshalJSON returns s as an in-toto v1 statement: _type, subject,
// predicateType and predicate, in that order.
func (s Statement) MarshalJSON() ([]byte, error) {
	if !json.Valid(s.Predicate) {
		return nil, fmt.Errorf("signature: statement: the %s predicate is not JSON", s.PredicateType)
	}
	subjects := make([]subjectJSON, len(s.Subjects))
	for i, sub := range s.Subjects {
		subjects[i] = subjectJSON{sub.Name, map[string]string{sub.Digest.Algorithm().String(): sub.Digest.Encoded()}}
	}
	head, err := json.Marshal(struct {
		Type          string        `json:"_type"`
		Subject       []subjectJSON `json:"subject"`
		PredicateType string        `json:"predicateType"`
	}{StatementType, subjects, s.PredicateType})
	if err != nil {
		return nil, fmt.Errorf("signature: statement: %w", err)
	}
	var b bytes.Buffer
	b.Write(head[:len(head)-1])
	b.WriteString(`,"predicate":`)
	b.Write(s.Predicate)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an in-toto statement, v1 or v0.1; one without a
// predicate type or subject is an ErrCorrupt error.
func (s *Statement) UnmarshalJSON(data []byte) error {
	var w struct {
		Type          string          `json:"_type"`
		Subject       []subjectJSON   `json:"subject"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%w: statement: %v", ErrCorrupt, err)
	}
	if w.PredicateType == "" || len(w.Subject) == 0 {
		return fmt.Errorf("%w: statement of _type %q has no predicateType or no subject", ErrCorrupt, w.Type)
	}
	*s = Statement{PredicateType: w.PredicateType, Predicate: w.Predicate}
	for _, sub := range w.Subject {
		for alg, hex := range sub.Digest {
			if d := digest.NewDigestFromEncoded(digest.Algorithm(alg), hex); d.Validate() == nil {
				s.Subjects = append(s.Subjects, Subject{Name: sub.Name, Digest: d})
			}
		}
	}
	return nil
}

// names reports whether s is about the manifest d.
func (s Statement) names(d digest.Digest) bool {
	for _, sub := range s.Subjects {
		if sub.Digest == d {
			return true
		}
	}
	return false
}

// Attestation is one signed statement as cosign stores it: the JSON of a
// DSSE envelope whose payload is the statement.
type Attestation struct {
	// PredicateType is the statement's, which the layer's annotation
	// repeats.
	PredicateType string
	// Envelope is the DSSE envelope's JSON.
	Envelope []byte
}

// envelope is DSSE's JSON form, as cosign v2 writes it.
type envelope struct {
	PayloadType string         `json:"payloadType"`
	Payload     []byte         `json:"payload"` // base64, as encoding/json writes []byte
	Signatures  []envelopeSign `json:"signatures"`
}

type envelopeSign struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// NewAttestation returns s signed with key (ECDSA P-256) in a DSSE
// envelope of payload type MediaTypeInToto: the signature is over
// DSSE's pre-authentication encoding of the statement's JSON.
func NewAttestation(key crypto.Signer, s Statement) (Attestation, error) {
	if err := checkSigner(key); err != nil {
		return Attestation{}, err
	}
	payload, err := s.MarshalJSON()
	if err != nil {
		return Attestation{}, err
	}
	sum := sha256.Sum256(pae(MediaTypeInToto, payload))
	sig, err := key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return Attestation{}, fmt.Errorf("signature: sign the %s statement: %w", s.PredicateType, err)
	}
	env, err := json.Marshal(envelope{MediaTypeInToto, payload, []envelopeSign{{Sig: sig}}})
	if err != nil {
		return Attestation{}, fmt.Errorf("signature: %w", err)
	}
	return Attestation{PredicateType: s.PredicateType, Envelope: env}, nil
}

// Verify checks that one of a's signatures was made by key over its
// statement, that the statement is about the manifest d, and returns it.
// A statement key did not sign, or that was changed since, is an
// ErrWrongKey error; one about other manifests an ErrDigestMismatch
// error.
func (a Attestation) Verify(key *ecdsa.PublicKey, d digest.Digest) (Statement, error) {
	var env envelope
	if err := json.Unmarshal(a.Envelope, &env); err != nil {
		return Statement{}, fmt.Errorf("%w: envelope: %v", ErrCorrupt, err)
	}
	if env.PayloadType != MediaTypeInToto {
		return Statement{}, fmt.Errorf("%w: envelope of payload type %q, want %q", ErrCorrupt, env.PayloadType, MediaTypeInToto)
	}
	sum := sha256.Sum256(pae(env.PayloadType, env.Payload))
	signed := false
	for _, s := range env.Signatures {
		if ecdsa.VerifyASN1(key, sum[:], s.Sig) {
			signed = true
			break
		}
	}
	if !signed {
		return Statement{}, ErrWrongKey
	}
	var s Statement
	if err := json.Unmarshal(env.Payload, &s); err != nil {
		return Statement{}, err
	}
	if !s.names(d) {
		return Statement{}, fmt.Errorf("%w: the statement is about %v", ErrDigestMismatch, s.Subjects)
	}
	return s, nil
}

// pae is DSSE's pre-authentication encoding of a payload.
func pae(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// checkSigner checks that key's public key is ECDSA P-256.
func checkSigner(key crypto.Signer) error {
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("signature: %w: a %T signer; only ECDSA P-256 keys are supported", ErrInvalidKey, key.Public())
	}
	return checkCurve(pub)
}
