package remote

import (
	"context"
	"errors"
	"io"
	"sync"
)

// errBodyClosed is what a read of a closed upload body returns.
var errBodyClosed = errors.New("remote: read of a closed upload body")

// blobBody is the body of one blob upload. It opens the blob on the first
// read, so building it costs nothing, and again() gives a fresh body for
// the same blob: retryTransport sends a blob PUT again that way, where
// oras-go would give up on a body it cannot rewind. Reads report
// progress and remember a failure of the blob itself (as opposed to the
// network) in the shared sourceErr.
type blobBody struct {
	ctx    context.Context
	b      blob
	report func(done int64)
	src    *sourceErr

	mu     sync.Mutex
	rc     io.ReadCloser
	n      int64
	closed bool
}

// sourceErr records the first error that reading the blob itself gave.
type sourceErr struct {
	mu  sync.Mutex
	err error
}

func (s *sourceErr) set(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *sourceErr) get() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func newBlobBody(ctx context.Context, b blob, src *sourceErr, report func(int64)) *blobBody {
	return &blobBody{ctx: ctx, b: b, src: src, report: report}
}

func (bb *blobBody) Read(p []byte) (int, error) {
	bb.mu.Lock()
	defer bb.mu.Unlock()
	if bb.closed {
		return 0, errBodyClosed
	}
	if bb.rc == nil {
		rc, err := bb.b.open(bb.ctx)
		if err != nil {
			bb.src.set(err)
			return 0, err
		}
		bb.rc = newReadAhead(rc)
	}
	n, err := bb.rc.Read(p)
	bb.n += int64(n)
	if bb.report != nil && n > 0 {
		bb.report(bb.n)
	}
	if err != nil && err != io.EOF {
		bb.src.set(err)
	}
	return n, err
}

func (bb *blobBody) Close() error {
	bb.mu.Lock()
	defer bb.mu.Unlock()
	bb.closed = true
	if bb.rc != nil {
		return bb.rc.Close()
	}
	return nil
}

// again returns a new body for the same blob, from its first byte.
func (bb *blobBody) again() *blobBody {
	return newBlobBody(bb.ctx, bb.b, bb.src, bb.report)
}
