package mediatype_test

import (
	"testing"

	"github.com/minimage/minimage/mediatype"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestKinds(t *testing.T) {
	for _, tc := range []struct {
		mt                      string
		index, manifest, config bool
	}{
		{ocispec.MediaTypeImageIndex, true, false, false},
		{mediatype.DockerManifestList, true, false, false},
		{ocispec.MediaTypeImageManifest, false, true, false},
		{mediatype.DockerManifest, false, true, false},
		{ocispec.MediaTypeImageConfig, false, false, true},
		{mediatype.DockerConfig, false, false, true},
		{mediatype.DockerLayer, false, false, false},
		{ocispec.MediaTypeImageLayerGzip, false, false, false},
		{"", false, false, false},
		{ocispec.MediaTypeImageManifest + "; charset=utf-8", false, false, false},
	} {
		if got := mediatype.IsIndex(tc.mt); got != tc.index {
			t.Errorf("IsIndex(%q) = %v, want %v", tc.mt, got, tc.index)
		}
		if got := mediatype.IsManifest(tc.mt); got != tc.manifest {
			t.Errorf("IsManifest(%q) = %v, want %v", tc.mt, got, tc.manifest)
		}
		if got := mediatype.IsConfig(tc.mt); got != tc.config {
			t.Errorf("IsConfig(%q) = %v, want %v", tc.mt, got, tc.config)
		}
	}
}
