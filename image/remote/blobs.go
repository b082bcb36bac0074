package remote

import (
	"context"
	"io"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/mediatype"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blob is one blob to push.
type blob struct {
	desc ocispec.Descriptor
	open func(ctx context.Context) (io.ReadCloser, error)
}

// artifactBlobs lists every blob a reaches, each digest once, a blob
// before what refers to it, a's own manifest last.
func artifactBlobs(a image.Artifact) []blob {
	bs := a.Blobs()
	out := make([]blob, len(bs))
	for i, b := range bs {
		out[i] = blob{desc: b.Descriptor, open: b.Open}
	}
	return out
}

// isManifest reports a manifest or index media type, OCI or Docker.
func isManifest(mt string) bool { return mediatype.IsManifest(mt) || mediatype.IsIndex(mt) }
