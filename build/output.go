package build

import (
	"context"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
)

// writeOutput writes a to o: the file p.inPlace wrote as the build went,
// if it did, else as the package function does.
func (p *plan) writeOutput(ctx context.Context, o Output, a image.Artifact, tags []string) error {
	if done, err := p.inPlace.commit(ctx, o, a, tags); done {
		return err
	}
	return writeOutput(ctx, o, a, tags)
}

// writeOutput writes a to o, tagged tags. The writers are atomic: a
// layout keeps every image it held until its index.json is replaced, a
// tarball file is written beside its path and renamed, and a registry's
// tag is set last, by the PUT of a's manifest.
func writeOutput(ctx context.Context, o Output, a image.Artifact, tags []string) error {
	switch {
	case o.Format == Registry:
		_, err := remote.Push(ctx, o.Path, a, o.Remote)
		return err
	case o.Writer != nil:
		return tarball.Write(ctx, o.Writer, a, tarball.Options{Tags: tags})
	case o.Format == Tarball:
		return tarball.WriteFile(ctx, o.Path, a, tarball.Options{Tags: tags})
	default:
		return layout.Write(ctx, o.Path, a, layout.Options{Tags: tags})
	}
}
