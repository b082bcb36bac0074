package build

import (
	"context"

	"github.com/minimage/minimage/image"
)

// writeOutput writes a to o, tagged tags. The writers are atomic: a
// layout keeps every image it held until its index.json is replaced, a
// tarball file is written beside its path and renamed.
func writeOutput(ctx context.Context, o Output, a image.Artifact, tags []string) error {
	switch {
	case o.Writer != nil:
		return image.WriteTarball(ctx, o.Writer, a, image.TarballOptions{Tags: tags})
	case o.Format == Tarball:
		return image.WriteTarballFile(ctx, o.Path, a, image.TarballOptions{Tags: tags})
	default:
		return image.WriteLayout(ctx, o.Path, a, image.LayoutOptions{Tags: tags})
	}
}
