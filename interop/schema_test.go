package interop

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/image-spec/schema"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// validate checks data against the image-spec schema for mediaType.
func validate(t *testing.T, what string, v schema.Validator, data []byte) {
	t.Helper()
	if err := v.Validate(bytes.NewReader(data)); err != nil {
		t.Errorf("%s does not pass the %s schema: %v\n%s", what, string(v), err, data)
	}
}

// validateLayout checks every JSON file and blob of an OCI layout in dir
// that index.json reaches.
func validateLayout(t *testing.T, dir string) {
	t.Helper()
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	validate(t, "oci-layout", schema.ValidatorMediaTypeLayoutHeader, read("oci-layout"))
	validate(t, "index.json", schema.ValidatorMediaTypeImageIndex, read("index.json"))
	var walk func(d ocispec.Descriptor)
	walk = func(d ocispec.Descriptor) {
		data := read(filepath.Join("blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()))
		switch d.MediaType {
		case ocispec.MediaTypeImageIndex:
			validate(t, "index "+d.Digest.String(), schema.ValidatorMediaTypeImageIndex, data)
			var idx ocispec.Index
			json.Unmarshal(data, &idx)
			for _, c := range idx.Manifests {
				walk(c)
			}
		case ocispec.MediaTypeImageManifest:
			validate(t, "manifest "+d.Digest.String(), schema.ValidatorMediaTypeManifest, data)
			var m ocispec.Manifest
			json.Unmarshal(data, &m)
			validate(t, "config "+m.Config.Digest.String(), schema.ValidatorMediaTypeImageConfig, read(filepath.Join("blobs", "sha256", m.Config.Digest.Encoded())))
		default:
			t.Errorf("unexpected media type %q", d.MediaType)
		}
	}
	var idx ocispec.Index
	if err := json.Unmarshal(read("index.json"), &idx); err != nil {
		t.Fatal(err)
	}
	for _, d := range idx.Manifests {
		walk(d)
	}
}

func TestSchemas(t *testing.T) {
	f := newFixture(t)
	validateLayout(t, f.layout)
	dir := t.TempDir()
	untarTo(t, f.tarball, dir)
	validateLayout(t, dir)
}
