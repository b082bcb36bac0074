package remote

import (
	"bytes"
	"context"
	"io"

	"github.com/minimage/minimage/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blob is one blob to push: what image.Blob will be once the seam lands.
type blob struct {
	desc  ocispec.Descriptor
	open  func(ctx context.Context) (io.ReadCloser, error)
	layer bool
}

// artifactBlobs lists every blob a reaches, each digest once, a blob
// before what refers to it, a's own manifest last.
//
// TODO(seam): a.Blobs() once image has it; this walks today's API.
func artifactBlobs(a image.Artifact) []blob {
	var out []blob
	seen := map[string]bool{}
	add := func(b blob) {
		if !seen[b.desc.Digest.String()] {
			seen[b.desc.Digest.String()] = true
			out = append(out, b)
		}
	}
	addImage := func(img *image.Image) {
		add(bytesBlob(img.ConfigDescriptor(), img.RawConfig()))
		for _, l := range img.Layers() {
			add(blob{desc: l.Descriptor(), layer: true, open: func(context.Context) (io.ReadCloser, error) { return l.Compressed() }})
		}
		add(bytesBlob(img.Descriptor(), img.RawManifest()))
	}
	switch v := a.(type) {
	case *image.Image:
		addImage(v)
	case *image.Index:
		for _, img := range v.Images() {
			addImage(img)
		}
		add(bytesBlob(v.Descriptor(), v.RawManifest()))
	}
	return out
}

func bytesBlob(d ocispec.Descriptor, data []byte) blob {
	return blob{desc: d, open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}
