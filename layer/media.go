package layer

import (
	"github.com/minimage/minimage/mediatype"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layerTypes is the one table of tar layer media types: how each is
// compressed, and the OCI type that names the same bytes.
var layerTypes = map[string]struct {
	c   Compression
	oci string
}{
	ocispec.MediaTypeImageLayer:     {Uncompressed, ocispec.MediaTypeImageLayer},
	ocispec.MediaTypeImageLayerGzip: {Gzip, ocispec.MediaTypeImageLayerGzip},
	ocispec.MediaTypeImageLayerZstd: {Zstd, ocispec.MediaTypeImageLayerZstd},
	//nolint:staticcheck // deprecated by OCI, still found in images
	ocispec.MediaTypeImageLayerNonDistributable: {Uncompressed, ocispec.MediaTypeImageLayerNonDistributable},
	//nolint:staticcheck
	ocispec.MediaTypeImageLayerNonDistributableGzip: {Gzip, ocispec.MediaTypeImageLayerNonDistributableGzip},
	//nolint:staticcheck
	ocispec.MediaTypeImageLayerNonDistributableZstd: {Zstd, ocispec.MediaTypeImageLayerNonDistributableZstd},
	mediatype.DockerLayer:                           {Gzip, ocispec.MediaTypeImageLayerGzip},
	mediatype.DockerLayerZstd:                       {Zstd, ocispec.MediaTypeImageLayerZstd},
	mediatype.DockerLayerTar:                        {Uncompressed, ocispec.MediaTypeImageLayer},
	mediatype.DockerForeignLayer:                    {Gzip, ocispec.MediaTypeImageLayerNonDistributableGzip},     //nolint:staticcheck
	mediatype.DockerForeignLayerTar:                 {Uncompressed, ocispec.MediaTypeImageLayerNonDistributable}, //nolint:staticcheck
}

// ParseMediaType returns how a layer of media type mt is compressed. ok is
// false when mt is not a tar layer type: OCI's (including the deprecated
// non-distributable ones) and Docker's (package mediatype) are known. Parameters are not
// accepted; mt must be exactly one of the types.
func ParseMediaType(mt string) (c Compression, ok bool) {
	t, ok := layerTypes[mt]
	return t.c, ok
}

// OCIMediaType returns the OCI media type that names the same bytes as the
// layer type mt: mediatype.DockerLayer gives
// ocispec.MediaTypeImageLayerGzip, a Docker foreign layer the OCI
// non-distributable type. An OCI type, or a type that is not a tar layer
// type, is returned unchanged.
func OCIMediaType(mt string) string {
	if t, ok := layerTypes[mt]; ok {
		return t.oci
	}
	return mt
}
