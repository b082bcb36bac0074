package ref

import (
	"context"
	"fmt"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
)

// Local is a layout directory or a tarball, as OpenLocal opens it: a
// source that can also check every blob it holds against its digest,
// untagged entries included (*layout.Layout and *tarball.Tarball).
type Local interface {
	image.Source
	Verify(ctx context.Context) (int, error)
}

// OpenLocal opens name, a layout directory or a tarball, PATH[:TAG], as
// Parse reads it with Options.Local: a registry reference is an error.
// The tag is not read; Parse gives it.
func OpenLocal(name string) (Local, error) {
	r, err := Parse(name, Options{Local: true})
	if err != nil {
		return nil, err
	}
	switch r.Kind {
	case Layout:
		l, err := layout.Read(r.Path)
		if err != nil {
			return nil, err
		}
		return l, nil
	case Tarball:
		t, err := openTarball(r.Path)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, fmt.Errorf("ref: %s is not a layout or a tarball", name)
}
