// Package mediatype is the one home of the media types minimage reads and
// writes beyond OCI's own, which are the constants of
// github.com/opencontainers/image-spec/specs-go/v1 (ocispec): Docker's
// schema 2 manifests, manifest lists, configs and layers, which images
// read with them keep, and the tests that sort a media type into what it
// names.
//
// What a layer media type says of its compression is package layer's
// (layer.ParseMediaType, layer.OCIMediaType).
package mediatype

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// Docker's schema 2 manifest, manifest list and config media types.
const (
	DockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	DockerConfig       = "application/vnd.docker.container.image.v1+json"
)

// Docker's layer media types: the same tar bytes as OCI's layer types.
const (
	DockerLayer     = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	DockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd"
	DockerLayerTar  = "application/vnd.docker.image.rootfs.diff.tar"
	// DockerForeignLayer is a gzip layer that registries do not serve
	// themselves (Windows base layers); OCI calls it non-distributable.
	DockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	// DockerForeignLayerTar is the uncompressed DockerForeignLayer.
	DockerForeignLayerTar = "application/vnd.docker.image.rootfs.foreign.diff.tar"
)

// IsIndex reports whether mt is an image index media type: OCI's index or
// Docker's manifest list.
func IsIndex(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == DockerManifestList
}

// IsManifest reports whether mt is an image manifest media type: OCI's or
// Docker's schema 2.
func IsManifest(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == DockerManifest
}

// IsConfig reports whether mt is a container image config media type:
// OCI's or Docker's.
func IsConfig(mt string) bool {
	return mt == ocispec.MediaTypeImageConfig || mt == DockerConfig
}
