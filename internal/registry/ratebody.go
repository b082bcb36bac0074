package registry

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// BodyRate is the slowest a request body may arrive: every Window must
// bring at least Bytes bytes, or the registry stops reading and the
// connection is dropped. It bounds a slow-loris client without a total
// time, so that a slow but steady upload of any size completes.
type BodyRate struct {
	Bytes  int64
	Window time.Duration
}

// rateBody is a request body read under a BodyRate, through the
// connection's read deadline: each time a window's bytes have arrived,
// the deadline moves a window ahead.
type rateBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	rate    BodyRate
	got     int64 // bytes since the deadline last moved
	started bool
}

func (b *rateBody) Read(p []byte) (int, error) {
	if !b.started {
		// Set on the first read, not before: a request whose body the
		// handler never reads is not held to the rate.
		b.started = true
		if b.rc.SetReadDeadline(time.Now().Add(b.rate.Window)) != nil {
			b.rate.Window = 0 // the connection has no deadlines
		}
	}
	n, err := b.ReadCloser.Read(p)
	if b.rate.Window == 0 {
		return n, err
	}
	b.got += int64(n)
	switch {
	case err == io.EOF:
		// The body is read: what follows is the connection's business.
		b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("the body arrived slower than %d bytes in %s: %w", b.rate.Bytes, b.rate.Window, err)
	case b.got >= b.rate.Bytes:
		b.got = 0
		b.rc.SetReadDeadline(time.Now().Add(b.rate.Window))
	}
	return n, err
}
