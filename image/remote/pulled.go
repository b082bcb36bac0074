package remote

import (
	"context"
	"fmt"

	"github.com/minimage/minimage/image"
)

// Source is one artifact pulled from a registry, read as an image.Source
// reads a layout or a tarball: its one entry is named by the reference it
// was pulled by. It is immutable and safe for concurrent use.
type Source struct {
	ref string
	a   image.Artifact
}

// PullSource pulls the artifact ref names, as Pull does, and returns it as
// a Source.
func PullSource(ctx context.Context, ref string, opts Options) (*Source, error) {
	a, err := Pull(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	return &Source{ref: ref, a: a}, nil
}

// Tags returns the reference the artifact was pulled by.
func (s *Source) Tags() []string { return []string{s.ref} }

// Artifact returns the pulled artifact, whatever tag is: the source holds
// one entry.
func (s *Source) Artifact(ctx context.Context, tag string) (image.Artifact, error) {
	return s.a, nil
}

// Image returns the pulled artifact's image for p, chosen by image.Select:
// a zero p takes the first, and no image for p is an
// *image.PlatformError.
func (s *Source) Image(ctx context.Context, tag string, p image.Platform) (*image.Image, error) {
	img, err := image.Select(s.a, p)
	if err != nil {
		return nil, fmt.Errorf("remote: %s: %w", s.ref, err)
	}
	return img, nil
}

// Images returns the images the pulled artifact is or reaches.
func (s *Source) Images(ctx context.Context, tag string) ([]*image.Image, error) {
	return s.a.Images(), nil
}
