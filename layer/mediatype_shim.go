package layer

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// TEMPORARY until the layer branch lands.

func ParseMediaType(mt string) (Compression, bool) {
	switch mt {
	case ocispec.MediaTypeImageLayerGzip, MediaTypeDockerLayer, ocispec.MediaTypeImageLayerNonDistributableGzip: //nolint:staticcheck
		return Gzip, true
	case ocispec.MediaTypeImageLayerZstd, MediaTypeDockerLayerZstd, ocispec.MediaTypeImageLayerNonDistributableZstd: //nolint:staticcheck
		return Zstd, true
	case ocispec.MediaTypeImageLayer, MediaTypeDockerLayerTar, ocispec.MediaTypeImageLayerNonDistributable: //nolint:staticcheck
		return Uncompressed, true
	}
	return 0, false
}

func OCIMediaType(mt string) string {
	switch mt {
	case MediaTypeDockerLayer:
		return ocispec.MediaTypeImageLayerGzip
	case MediaTypeDockerLayerZstd:
		return ocispec.MediaTypeImageLayerZstd
	case MediaTypeDockerLayerTar:
		return ocispec.MediaTypeImageLayer
	}
	return mt
}
