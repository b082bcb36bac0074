package layer

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestMediaTypes(t *testing.T) {
	cases := []struct {
		mt  string
		c   Compression
		oci string
	}{
		{ocispec.MediaTypeImageLayer, Uncompressed, ocispec.MediaTypeImageLayer},
		{ocispec.MediaTypeImageLayerGzip, Gzip, ocispec.MediaTypeImageLayerGzip},
		{ocispec.MediaTypeImageLayerZstd, Zstd, ocispec.MediaTypeImageLayerZstd},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar", Uncompressed, "application/vnd.oci.image.layer.nondistributable.v1.tar"},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Gzip, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", Zstd, "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"},
		{"application/vnd.docker.image.rootfs.diff.tar.gzip", Gzip, ocispec.MediaTypeImageLayerGzip},
		{"application/vnd.docker.image.rootfs.diff.tar.zstd", Zstd, ocispec.MediaTypeImageLayerZstd},
		{"application/vnd.docker.image.rootfs.diff.tar", Uncompressed, ocispec.MediaTypeImageLayer},
		{"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", Gzip, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
		{"application/vnd.docker.image.rootfs.foreign.diff.tar", Uncompressed, "application/vnd.oci.image.layer.nondistributable.v1.tar"},
	}
	for _, c := range cases {
		got, ok := ParseMediaType(c.mt)
		if !ok || got != c.c {
			t.Errorf("ParseMediaType(%q) = %v, %v; want %v, true", c.mt, got, ok, c.c)
		}
		if got := OCIMediaType(c.mt); got != c.oci {
			t.Errorf("OCIMediaType(%q) = %q, want %q", c.mt, got, c.oci)
		}
	}
	for _, c := range []Compression{Gzip, Zstd, Uncompressed} {
		if got, ok := ParseMediaType(c.MediaType()); !ok || got != c {
			t.Errorf("ParseMediaType(%v.MediaType()) = %v, %v", c, got, ok)
		}
	}
	for _, mt := range []string{"", "application/vnd.in-toto+json", ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageLayerGzip + "; charset=x", "APPLICATION/VND.OCI.IMAGE.LAYER.V1.TAR"} {
		if c, ok := ParseMediaType(mt); ok {
			t.Errorf("ParseMediaType(%q) = %v, true; want false", mt, c)
		}
		if got := OCIMediaType(mt); got != mt {
			t.Errorf("OCIMediaType(%q) = %q; want it unchanged", mt, got)
		}
	}
}

// TestFromBlobKeepsMediaType reads one gzip blob under each gzip type: the
// layer keeps the type it was given and decompresses by it.
func TestFromBlobKeepsMediaType(t *testing.T) {
	b := New(Options{})
	b.AddFile("/a", []byte("hello"), Attr{})
	src := build(t, b)
	blob := readAll(t, src.Compressed)
	want := readAll(t, src.Uncompressed)
	for mt := range layerTypes {
		if c, _ := ParseMediaType(mt); c != Gzip {
			continue
		}
		d := src.Descriptor()
		d.MediaType = mt
		l, err := FromBlob(d, src.DiffID(), func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil })
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		if l.MediaType() != mt || l.Descriptor().MediaType != mt {
			t.Errorf("FromBlob with %q gives a layer of type %q", mt, l.MediaType())
		}
		if got := readAll(t, l.Uncompressed); !bytes.Equal(got, want) {
			t.Errorf("%s: the tar stream differs", mt)
		}
	}
	d := src.Descriptor()
	d.MediaType = "application/vnd.in-toto+json"
	if _, err := FromBlob(d, src.DiffID(), func(context.Context) (io.ReadCloser, error) { return nil, nil }); err == nil || !strings.Contains(err.Error(), "unsupported layer media type") {
		t.Errorf("FromBlob of an in-toto blob: %v", err)
	}
}
