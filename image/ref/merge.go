package ref

import (
	"context"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
)

// MergeIndex reads each of names as Parse reads them with DockerHub set,
// as every command reads a source (an image or an
// index, in a registry through opts, a layout DIR[:TAG] or a tarball
// FILE.tar[:TAG]) and merges them into one index with image.MergeIndex,
// each source named in its errors by its name. The images keep their
// digests, so their signatures and SBOMs stay valid.
func MergeIndex(ctx context.Context, names []string, mo image.MergeOptions, opts remote.Options) (*image.Index, error) {
	srcs := make([]image.MergeSource, len(names))
	for i, name := range names {
		r, err := Parse(name, Options{DockerHub: true})
		if err != nil {
			return nil, err
		}
		a, err := r.Artifact(ctx, opts)
		if err != nil {
			return nil, err
		}
		srcs[i] = image.MergeSource{Name: name, Artifact: a}
	}
	return image.MergeIndex(srcs, mo)
}
