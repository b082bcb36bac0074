package remote

import (
	"context"
	"errors"
	"fmt"

	"github.com/minimage/minimage/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
	orasremote "oras.land/oras-go/v2/registry/remote"
)

// PushReferrers pushes artifacts that refer to others (a subject), such
// as the SBOM manifests build.Result.Referrers returns, to the
// repository ref names, each by its digest: ref's tag or digest does not
// matter, and no tag moves. Push the subjects first. A registry with the
// OCI 1.1 referrers API lists them there. For one without it, each push
// adds the referrer to the index the referrers tag schema names
// ("sha256-HEX", the subject's digest) and deletes the index it
// replaces, as oras does; where the registry refuses deletes, the old
// index stays behind, untagged, and the push still succeeds. It returns
// the descriptors pushed, in order, and stops at the first error.
func PushReferrers(ctx context.Context, ref string, referrers []image.Artifact, opts Options) ([]ocispec.Descriptor, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	repo := r.Registry + "/" + r.Repository
	var ds []ocispec.Descriptor
	for _, a := range referrers {
		d, err := Push(ctx, repo+"@"+a.Digest().String(), a, opts)
		var gc *orasremote.ReferrersError
		if errors.As(err, &gc) && gc.IsReferrersIndexDelete() {
			d, err = a.Descriptor(), nil
		}
		if err != nil {
			return ds, fmt.Errorf("remote: push referrer %s: %w", a.Digest(), err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// maxReferrers bounds the referrers Referrers returns for one subject.
const maxReferrers = 10000

// Referrers returns the descriptors of the manifests in the repository
// ref names whose subject is the manifest d, of type artifactType ("" for
// any): from the OCI 1.1 referrers API or, where the registry has none,
// from the index the referrers tag schema names ("sha256-HEX"), as
// PushReferrers writes them. ref's tag or digest does not matter. A
// subject without referrers gives none, not an error.
func Referrers(ctx context.Context, ref string, d digest.Digest, artifactType string, opts Options) ([]ocispec.Descriptor, error) {
	ctx, cancel := withTimeout(ctx, opts)
	defer cancel()
	c, err := clientFor(ref, opts)
	if err != nil {
		return nil, err
	}
	defer c.closeIdle()
	var out []ocispec.Descriptor
	err = c.repo.Referrers(ctx, ocispec.Descriptor{Digest: d}, artifactType, func(ds []ocispec.Descriptor) error {
		for _, rd := range ds {
			// A registry that ignores the filter lists the others too.
			if artifactType == "" || rd.ArtifactType == artifactType {
				out = append(out, rd)
			}
		}
		if len(out) > maxReferrers {
			return fmt.Errorf("remote: %s: more than %d referrers of %s: too many to read; ask for one artifact type, or remove stale referrers", c.ref.repo(), maxReferrers, d)
		}
		return nil
	})
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		what := "list the referrers of " + d.String()
		return nil, c.timedOut(ctx, c.wrap(err, what), what)
	}
	return out, nil
}
