package listing

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minimage/minimage/image"
)

// ErrAmbiguous reports a WriteRaw that could show more than one
// document: its error says how to pick one.
var ErrAmbiguous = errors.New("more than one to show")

// WriteRaw writes the stored bytes of one document of the one entry in
// entries, unchanged, as crane manifest and crane config print them:
// what is "index", "manifest" or "config". An index's manifest or config
// is its image's for p, or its only image's.
func WriteRaw(w io.Writer, entries []Entry, what string, p image.Platform) error {
	if what != "index" && what != "manifest" && what != "config" {
		return fmt.Errorf("listing: raw %q: want manifest, config or index", what)
	}
	if len(entries) != 1 {
		var tags []string
		for _, e := range entries {
			tags = append(tags, e.Tags...)
		}
		return fmt.Errorf("listing: raw %s: %w: the source holds %d entries; name one by its tag, one of %s", what, ErrAmbiguous, len(entries), quoteAll(tags))
	}
	raw, err := rawOf(entries[0].Artifact, what, p)
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

func rawOf(a image.Artifact, what string, p image.Platform) ([]byte, error) {
	var img *image.Image
	switch a := a.(type) {
	case *image.Image:
		img = a
	case *image.Manifest:
		if what == "manifest" {
			return a.RawManifest(), nil
		}
		return nil, fmt.Errorf("listing: raw %s: the entry is an artifact manifest (%s), not an index, with no image config; show its manifest", what, a.ArtifactType())
	case *image.Index:
		if what == "index" {
			return a.RawManifest(), nil
		}
		imgs := a.Images()
		if p != (image.Platform{}) {
			imgs = slices.DeleteFunc(imgs, func(img *image.Image) bool { return !p.Matches(img.Platform()) })
		}
		switch len(imgs) {
		case 0:
			return nil, &image.PlatformError{Want: p, Have: a.Platforms(), In: "index " + a.Digest().String()}
		case 1:
			img = imgs[0]
		default:
			ps := make([]image.Platform, len(imgs))
			for i, img := range imgs {
				ps[i] = img.Platform()
			}
			return nil, fmt.Errorf("listing: raw %s: %w: the index holds images for %s; pick one by its platform, or show the index", what, ErrAmbiguous, image.PlatformList(ps))
		}
	}
	switch what {
	case "index":
		return nil, fmt.Errorf("listing: raw index: the entry is an image, not an index; show its manifest")
	case "config":
		return img.RawConfig(), nil
	}
	return img.RawManifest(), nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return strings.Join(q, ", ")
}
