package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// TestAttrModTime checks that an entry's own time goes into its header,
// that a hard link takes its target's, that the others keep the layer's,
// and that a time a config cannot hold is refused.
func TestAttrModTime(t *testing.T) {
	own := time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("x", 3600))
	layerTime := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	b := New(Options{Format: Format{Compression: Uncompressed, ModTime: layerTime}})
	if err := b.AddFile("app", []byte("x"), Attr{Mode: 0o755, ModTime: own}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddFile("etc/motd", []byte("hi"), Attr{}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddHardlink("link", "app", Attr{ModTime: layerTime.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	l := build(t, b)
	want := map[string]time.Time{
		"app": own.Truncate(time.Second).UTC(), "etc/": layerTime, "etc/motd": layerTime,
		"link": own.Truncate(time.Second).UTC(),
	}
	tr := tar.NewReader(bytes.NewReader(readAll(t, l.Uncompressed)))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := want[h.Name]; !ok || !h.ModTime.Equal(w) {
			t.Errorf("%s: time %s, want %s", h.Name, h.ModTime.UTC(), w)
		}
		delete(want, h.Name)
	}
	if len(want) > 0 {
		t.Errorf("entries missing: %v", want)
	}
	err := New(Options{}).AddFile("x", nil, Attr{ModTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if !errors.Is(err, ErrInvalidAttr) {
		t.Errorf("AddFile with a time in year 10000: %v, want ErrInvalidAttr", err)
	}
}
