package signature

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// PayloadType is the critical.type of a cosign signature payload.
const PayloadType = "cosign container image signature"

// Payload is what a signature signs: a simple-signing payload (the
// format of containers/image, which cosign uses) naming the manifest
// signed. Its JSON is
//
//	{"critical":{"identity":{"docker-reference":REFERENCE},
//	  "image":{"docker-manifest-digest":DIGEST},
//	  "type":"cosign container image signature"},
//	 "optional":OPTIONAL}
type Payload struct {
	// Reference is the repository the signer claims the manifest is
	// in, such as "ghcr.io/me/app". Verify reports it and does not
	// check it, as cosign does not: a copy in another repository
	// verifies too.
	Reference string
	// Digest is the digest of the manifest signed.
	Digest digest.Digest
	// Optional holds the annotations given when signing (cosign's -a),
	// or null.
	Optional map[string]any
}

// payloadJSON is the wire form of Payload, with cosign's field order.
type payloadJSON struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// MarshalJSON returns p as cosign writes a payload.
func (p Payload) MarshalJSON() ([]byte, error) {
	var w payloadJSON
	w.Critical.Identity.DockerReference = p.Reference
	w.Critical.Image.DockerManifestDigest = p.Digest.String()
	w.Critical.Type = PayloadType
	w.Optional = p.Optional
	return json.Marshal(w)
}

// UnmarshalJSON reads a payload; one whose critical.type is not
// PayloadType, or whose digest does not parse, is an ErrCorrupt error.
func (p *Payload) UnmarshalJSON(data []byte) error {
	var w payloadJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%w: payload: %v", ErrCorrupt, err)
	}
	if w.Critical.Type != PayloadType {
		return fmt.Errorf("%w: payload type %q, want %q", ErrCorrupt, w.Critical.Type, PayloadType)
	}
	d, err := digest.Parse(w.Critical.Image.DockerManifestDigest)
	if err != nil {
		return fmt.Errorf("%w: payload digest %q: %v", ErrCorrupt, w.Critical.Image.DockerManifestDigest, err)
	}
	*p = Payload{Reference: w.Critical.Identity.DockerReference, Digest: d, Optional: w.Optional}
	return nil
}
