package layer

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
)

// Walk reads the layer's tar stream and calls fn with each entry's header
// and a reader of its content, in order; global PAX headers are skipped.
// It then reads the stream to its end, so that the layer is checked
// against its diffID even when fn stops early by returning ErrStopWalk.
// Walk stops when ctx is cancelled; an error from fn is returned as it is.
func (l *Layer) Walk(ctx context.Context, fn func(h *tar.Header, r io.Reader) error) error {
	rc, err := l.Uncompressed(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("layer %s: %w", l.Digest(), err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if err := fn(h, tr); errors.Is(err, ErrStopWalk) {
			break
		} else if err != nil {
			return err
		}
	}
	// Read to the end so that the reader checks the diffID.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return err
	}
	return nil
}

// ErrStopWalk, returned by Walk's fn, ends the walk early without an error.
var ErrStopWalk = errors.New("stop the walk")
