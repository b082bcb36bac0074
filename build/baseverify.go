package build

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"fmt"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/signature"
)

// checkBaseKey checks Recipe.BaseKey and puts a Base that checks the
// signatures in place of Recipe.Base.
func (p *plan) checkBaseKey() error {
	key := p.r.BaseKey
	if key == nil {
		return nil
	}
	if p.r.Base == nil {
		return invalid("base key: BaseKey is set but Base is not; set Base, or drop BaseKey")
	}
	if key.Curve != elliptic.P256() {
		return invalid("base key: only ECDSA P-256 keys are supported (minimage key generate, cosign generate-key-pair)")
	}
	switch b := p.r.Base.(type) {
	case *registryBase:
		p.r.Base = &verifiedBase{Base: b, key: key, reg: b}
		return nil
	case *sourceBase:
		if l, ok := b.src.(*layout.Layout); ok {
			p.r.Base = &verifiedBase{Base: b, key: key, layout: l, tag: b.tag}
			return nil
		}
	}
	return invalid("base %s: BaseKey checks the signatures of a base in a registry or an OCI layout (OpenBase, RegistryBase), and this is a %T; drop BaseKey, or put the base in a layout or a registry", p.r.Base.Name(), p.r.Base)
}

// verifiedBase is a base in a registry or a layout whose images are
// taken only when the manifests they come from are signed by key.
type verifiedBase struct {
	Base
	key    *ecdsa.PublicKey
	reg    *registryBase  // a base in a registry, or
	layout *layout.Layout // one in a layout,
	tag    string         // tagged tag there
}

// Image returns the base's image for p, as signature.PullVerified and
// pull --verify-key take it: in a registry, the manifest the reference
// names, and the image read through its digest, must each be signed by
// key; in a layout, every manifest of the entry (signature.VerifyLayout).
func (b *verifiedBase) Image(ctx context.Context, p image.Platform) (*image.Image, error) {
	if b.reg != nil {
		opts := signature.Options{Remote: b.reg.opts}
		a, err := signature.PullVerified(ctx, b.reg.ref, p, b.key, opts)
		if err != nil {
			return nil, fmt.Errorf("build: base %s: %w", b.reg.ref, err)
		}
		img, ok := a.(*image.Image)
		if !ok {
			return nil, fmt.Errorf("build: base %s: %w: %s is a %s, not an image for %s; give --base an image or an index that holds one for the platform", b.reg.ref, image.ErrNotFound, a.Digest(), a.MediaType(), p)
		}
		return img, nil
	}
	a, err := b.layoutEntry(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := signature.VerifyLayout(ctx, b.layout, a, b.key, signature.Options{}); err != nil {
		return nil, fmt.Errorf("build: base %s: %w", b.Name(), err)
	}
	img, err := image.SelectImage(a.Images(), p)
	if err != nil {
		return nil, fmt.Errorf("build: base %s: %w", b.Name(), err)
	}
	return img, nil
}

// layoutEntry returns the entry tagged b.tag or, with no tag, the one
// entry that is not an artifact such as a signature referrer.
func (b *verifiedBase) layoutEntry(ctx context.Context) (image.Artifact, error) {
	a, err := b.layout.Artifact(ctx, b.tag)
	if err == nil || b.tag != "" {
		if err != nil {
			return nil, fmt.Errorf("build: base %s: %w", b.Name(), err)
		}
		return a, nil
	}
	var only []image.Artifact
	for _, d := range b.layout.Manifests() {
		if d.ArtifactType != "" {
			continue
		}
		a, err := image.Load(ctx, b.layout, d)
		if err != nil {
			return nil, fmt.Errorf("build: base: %w", err)
		}
		only = append(only, a)
	}
	if len(only) != 1 {
		return nil, fmt.Errorf("build: base: %w; give DIR:TAG", err)
	}
	return only[0], nil
}
