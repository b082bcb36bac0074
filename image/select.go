package image

import (
	"fmt"
	"slices"
	"strings"
)

// PlatformError reports that an artifact holds no image for the platform
// asked for. It wraps ErrNotFound, and every reader and the build return
// it, so that a missing platform reads the same wherever it is met.
type PlatformError struct {
	// Want is the platform asked for.
	Want Platform
	// Have lists the platforms there are, each once, in order.
	Have []Platform
	// In names what was searched, such as an index's digest; "" for
	// none.
	In string
}

// NewPlatformError returns the error for no image of want among imgs.
func NewPlatformError(want Platform, imgs []*Image) *PlatformError {
	e := &PlatformError{Want: want}
	for _, img := range imgs {
		if q := img.Platform(); !slices.Contains(e.Have, q) {
			e.Have = append(e.Have, q)
		}
	}
	return e
}

func (e *PlatformError) Error() string {
	in := ""
	if e.In != "" {
		in = " in " + e.In
	}
	if len(e.Have) == 0 {
		return fmt.Sprintf("image: no image for %s%s, which holds no image at all", e.Want, in)
	}
	return fmt.Sprintf("image: no image for %s%s; it has %s; give one of those", e.Want, in, PlatformList(e.Have))
}

// Unwrap returns ErrNotFound.
func (e *PlatformError) Unwrap() error { return ErrNotFound }

// PlatformList names platforms for a message: "linux/amd64, linux/arm64",
// each once.
func PlatformList(ps []Platform) string {
	var names []string
	for _, p := range ps {
		if s := p.String(); !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	return strings.Join(names, ", ")
}

// Select returns the image of a for p: a itself when it is an image of
// p, or the index's image for p (see Index.Image). A zero p takes the
// first image. No image for p is a *PlatformError.
func Select(a Artifact, p Platform) (*Image, error) {
	imgs := a.Images()
	if ix, ok := a.(*Index); ok && p != (Platform{}) {
		if img := ix.Image(p); img != nil {
			return img, nil
		}
		return nil, NewPlatformError(p, imgs)
	}
	return SelectImage(imgs, p)
}

// SelectImage returns the first of imgs whose platform matches p (see
// Platform.Matches); a zero p takes the first. No image for p is a
// *PlatformError.
func SelectImage(imgs []*Image, p Platform) (*Image, error) {
	for _, img := range imgs {
		if p == (Platform{}) || p.Matches(img.Platform()) {
			return img, nil
		}
	}
	return nil, NewPlatformError(p, imgs)
}
