package remote

import (
	"context"
	"errors"
	"fmt"

	"github.com/minimage/minimage/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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
