package build

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"fmt"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

// SignOptions say how Run signs what it pushes and writes. With a Key,
// after each Registry output is pushed, Run signs its manifest and, for
// an index, each image's, as signature.Sign does, and attaches the
// build's Statements signed by Key, as signature.Attest does, both in
// Format (cosign's .sig and .att tags, or sigstore bundle referrers),
// where cosign verify --key and cosign verify-attestation --key check
// them. Each Layout output (not a Writer) gets the same signatures and
// attestations as sigstore bundle referrers (signature.SignLayout,
// signature.AttestLayout), which a push of the layout carries along.
type SignOptions struct {
	// Key signs; an *ecdsa.PrivateKey from signature.ReadPrivateKeyFile,
	// or a crypto.Signer held elsewhere. nil signs nothing, and the
	// provenance goes to the registry unsigned, as a referrer.
	Key crypto.Signer
	// Annotations go into each signature's payload (cosign sign -a).
	Annotations map[string]string
	// Format is how the signatures and attestations go to a registry:
	// signature.FormatTag (the zero value, cosign's .sig and .att tags)
	// or signature.FormatBundle (sigstore bundle referrers, cosign v3's
	// default).
	Format signature.Format
}

// Statements returns the in-toto statements of the build, for
// signature.Attest: the provenance, about the artifact and, for an
// index, each image; then each image's SBOM, about that image and, for
// an index, the index too, so that an attestation of the tag's digest
// holds every platform's document. The subjects are named
// Recipe.SBOMName().
func (r *Result) Statements() []signature.Statement {
	top := signature.Subject{Name: r.subjectName, Digest: r.Artifact.Digest()}
	_, isIndex := r.Artifact.(*image.Index)
	var stmts []signature.Statement
	if r.Provenance != nil {
		subjects := []signature.Subject{top}
		for _, img := range r.Images {
			if isIndex {
				subjects = append(subjects, signature.Subject{Name: r.subjectName, Digest: img.Digest()})
			}
		}
		stmts = append(stmts, signature.Statement{Subjects: subjects, PredicateType: signature.PredicateSLSAProvenance1, Predicate: r.Provenance})
	}
	for i, doc := range r.SBOMs {
		subjects := []signature.Subject{{Name: r.subjectName, Digest: r.Images[i].Digest()}}
		if isIndex {
			subjects = append(subjects, top)
		}
		stmts = append(stmts, signature.Statement{Subjects: subjects, PredicateType: signature.PredicateSPDX, Predicate: doc})
	}
	return stmts
}

// AnnotationPredicateType is the annotation of an unsigned statement's
// layer that holds its predicate type, as BuildKit writes it.
const AnnotationPredicateType = "in-toto.io/predicate-type"

// ProvenanceReferrers returns the OCI 1.1 artifact manifests that attach
// the provenance, unsigned, to each of its subjects (the artifact, and
// for an index each image): artifactType application/vnd.in-toto+json,
// the empty config, one layer holding the statement's JSON, annotated
// with its predicate type, and the subject's manifest as subject. It
// returns nothing without provenance.
func (r *Result) ProvenanceReferrers() ([]image.Artifact, error) {
	if r.Provenance == nil {
		return nil, nil
	}
	st := r.Statements()[0]
	data, err := st.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("build: provenance: %w", err)
	}
	blob := image.BlobFromBytes(signature.MediaTypeInToto, data)
	blob.Descriptor.Annotations = map[string]string{AnnotationPredicateType: st.PredicateType}
	subjects := []image.Artifact{r.Artifact}
	if _, ok := r.Artifact.(*image.Index); ok {
		for _, img := range r.Images {
			subjects = append(subjects, img)
		}
	}
	var ms []image.Artifact
	for _, s := range subjects {
		d := s.Descriptor()
		m, err := image.NewManifest(signature.MediaTypeInToto, []image.Blob{blob}, &d, nil)
		if err != nil {
			return nil, fmt.Errorf("build: provenance referrer of %s: %w", d.Digest, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// checkSign checks Recipe.Sign and Recipe.Provenance, and sets the name
// the statements give the images.
func (p *plan) checkSign() error {
	p.subjectName = p.r.SBOMName()
	if p.r.Sign.Key == nil {
		if len(p.r.Sign.Annotations) > 0 || p.r.Sign.Format != signature.FormatTag {
			return invalid("sign: Annotations or Format are set but Key is not; set Key, or drop them")
		}
		return nil
	}
	if pub, ok := p.r.Sign.Key.Public().(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		return invalid("sign: a %T key; only ECDSA P-256 keys sign (minimage key generate, cosign generate-key-pair)", p.r.Sign.Key.Public())
	}
	for _, o := range p.r.Outputs {
		if o.Format == Registry || o.Format == Layout && o.Writer == nil {
			return nil
		}
	}
	return invalid("sign: Key signs what Run pushes or writes to a layout directory, and there is no Registry or Layout output; add one")
}

// publishAttestations signs and attests each Registry output and each
// Layout output with Recipe.Sign.Key; without a key it pushes the
// provenance as referrers.
func (p *plan) publishAttestations(ctx context.Context, res *Result) error {
	refs, err := res.ProvenanceReferrers()
	if err != nil {
		return err
	}
	key, stmts := p.r.Sign.Key, res.Statements()
	opts := signature.Options{Annotations: p.r.Sign.Annotations, Format: p.r.Sign.Format}
	for _, o := range p.r.Outputs {
		if o.Format == Layout && o.Writer == nil && key != nil {
			if err := p.signLayout(ctx, o.Path, res.Artifact, stmts, opts); err != nil {
				return err
			}
		}
		if o.Format != Registry {
			continue
		}
		if key == nil {
			if len(refs) > 0 {
				p.step("attaching the provenance to %s", o.Path)
				if _, err := remote.PushReferrers(ctx, o.Path, refs, o.Remote); err != nil {
					return fmt.Errorf("build: output %s: %w", o.Path, err)
				}
			}
			continue
		}
		opts.Remote = o.Remote
		opts.Remote.Progress = nil
		p.step("signing %s", o.Path)
		if _, err := signature.Sign(ctx, o.Path, res.Artifact, key, opts); err != nil {
			return fmt.Errorf("build: output %s: %w", o.Path, err)
		}
		if len(stmts) > 0 {
			p.step("attaching %d signed attestations to %s", len(stmts), o.Path)
			if _, err := signature.Attest(ctx, o.Path, res.Artifact, key, stmts, opts); err != nil {
				return fmt.Errorf("build: output %s: %w", o.Path, err)
			}
		}
	}
	return nil
}

// signLayout signs a in the layout dir and adds stmts to it, signed, as
// bundle referrers.
func (p *plan) signLayout(ctx context.Context, dir string, a image.Artifact, stmts []signature.Statement, opts signature.Options) error {
	p.step("signing %s", dir)
	if _, err := signature.SignLayout(ctx, dir, a, p.r.Sign.Key, opts); err != nil {
		return fmt.Errorf("build: output %s: %w", dir, err)
	}
	if len(stmts) == 0 {
		return nil
	}
	p.step("attaching %d signed attestations to %s", len(stmts), dir)
	if _, err := signature.AttestLayout(ctx, dir, a, p.r.Sign.Key, stmts); err != nil {
		return fmt.Errorf("build: output %s: %w", dir, err)
	}
	return nil
}
