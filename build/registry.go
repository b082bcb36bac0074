package build

import (
	"context"
	"fmt"
	"slices"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
)

// RegistryBase returns the base that ref, REGISTRY/REPOSITORY[:TAG][@DIGEST],
// names in a registry, talked to with opts. ref is parsed now; the
// registry is first asked when Run checks the recipe, before any work,
// for the image of each platform (remote.PullImage): its manifest and
// config are checked against their digests and kept as stored, and its
// layers are read, and checked, only when an output needs their bytes.
// A push to another repository of the same registry, given the same
// opts.Mounts, mounts them instead of reading them at all.
//
// The base's Name is the full reference, such as
// "docker.io/library/alpine:3.20". Errors wrap ErrInvalid.
func RegistryBase(ref string, opts remote.Options) (Base, error) {
	r, err := remote.ParseReference(ref)
	if err != nil {
		return nil, invalid("base %s: %w", ref, err)
	}
	if err := opts.Validate(); err != nil {
		return nil, invalid("base %s: %w", ref, err)
	}
	return &registryBase{ref: r.String(), opts: opts}, nil
}

type registryBase struct {
	ref  string
	opts remote.Options
	// notFile is set when OpenBase read a name without a registry as a
	// Docker Hub reference because no file has the name; errors then say
	// so.
	notFile string
}

func (b *registryBase) Image(ctx context.Context, p image.Platform) (*image.Image, error) {
	img, err := remote.PullImage(ctx, b.ref, p, b.opts)
	if err != nil {
		if b.notFile != "" {
			return nil, fmt.Errorf("build: base %s: no file or directory %s, so it was read as the registry reference %s: %w", b.notFile, b.notFile, b.ref, err)
		}
		return nil, fmt.Errorf("build: base %s: %w", b.ref, err)
	}
	return img, nil
}

func (b *registryBase) Name() string { return b.ref }

// checkRegistryOutput checks a Registry output before any work and
// returns the reference it names, in full.
func checkRegistryOutput(o Output) (string, error) {
	if o.Writer != nil {
		return "", invalid("output %s: a registry output takes no Writer", o.Path)
	}
	if o.Path == "" {
		return "", invalid("output: no reference; give REGISTRY/REPOSITORY[:TAG] to push to")
	}
	r, err := remote.ParseReference(o.Path)
	if err != nil {
		return "", invalid("output %s: %w", o.Path, err)
	}
	if err := o.Remote.Validate(); err != nil {
		return "", invalid("output %s: %w", o.Path, err)
	}
	if r.Digest != "" {
		return "", invalid("output %s: a push names a tag, not a digest, which is the built artifact's; drop @%s", o.Path, r.Digest)
	}
	return r.String(), nil
}

// withMounts returns r with a remote.Mounts in every Registry output and
// RegistryBase that has none: the base's, if it has one, else m, else a
// new one for this run. The pushes of a run then mount the base's layers, and
// what one output uploaded, instead of uploading them.
func (r Recipe) withMounts(m *remote.Mounts) Recipe {
	rb, _ := r.Base.(*registryBase)
	if rb != nil && rb.opts.Mounts != nil {
		m = rb.opts.Mounts
	}
	if m == nil {
		m = remote.NewMounts()
	}
	if rb != nil && rb.opts.Mounts == nil {
		c := *rb
		c.opts.Mounts = m
		r.Base = &c
	}
	r.Outputs = slices.Clone(r.Outputs)
	for i, o := range r.Outputs {
		if o.Format == Registry && o.Remote.Mounts == nil {
			r.Outputs[i].Remote.Mounts = m
		}
	}
	return r
}
