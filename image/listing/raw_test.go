package listing_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/listing"
)

// TestWriteRaw: the stored bytes of the index, or of the image for a
// platform; more than one candidate is ErrAmbiguous.
func TestWriteRaw(t *testing.T) {
	ix := imagetest.FixtureIndex(t)
	img := ix.Images()[0]
	one := []listing.Entry{{Tags: []string{"v1"}, Artifact: ix}}
	for _, c := range []struct {
		entries []listing.Entry
		what    string
		p       image.Platform
		want    []byte
	}{
		{one, "index", image.Platform{}, ix.RawManifest()},
		{one, "manifest", img.Platform(), img.RawManifest()},
		{one, "config", img.Platform(), img.RawConfig()},
		{[]listing.Entry{{Artifact: img}}, "manifest", image.Platform{}, img.RawManifest()},
	} {
		var b bytes.Buffer
		if err := listing.WriteRaw(&b, c.entries, c.what, c.p); err != nil || !bytes.Equal(b.Bytes(), c.want) {
			t.Errorf("%s %s: %v, %d bytes; want the %d stored", c.what, c.p, err, b.Len(), len(c.want))
		}
	}
	two := append(one, listing.Entry{Tags: []string{"v2"}, Artifact: img})
	for _, err := range []error{
		listing.WriteRaw(&bytes.Buffer{}, one, "manifest", image.Platform{}),
		listing.WriteRaw(&bytes.Buffer{}, two, "index", image.Platform{}),
	} {
		if !errors.Is(err, listing.ErrAmbiguous) {
			t.Errorf("got %v, want ErrAmbiguous", err)
		}
	}
	if err := listing.WriteRaw(&bytes.Buffer{}, []listing.Entry{{Artifact: img}}, "index", image.Platform{}); err == nil {
		t.Error("--raw index of an image: no error")
	}
}
