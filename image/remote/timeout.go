package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// timeoutError is a request or transfer that took too long: no answer
// within ResponseTimeout, a stall, or the caller's Timeout. It is
// ErrTimeout for errors.Is and a net.Error whose Timeout is true.
type timeoutError struct {
	what  string        // what took too long, and which limit says so
	after time.Duration // the time it lost, counted against RetryTime
}

func (e *timeoutError) Error() string        { return e.what }
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }
func (e *timeoutError) Timeout() bool        { return true }
func (e *timeoutError) Temporary() bool      { return true }

// withTimeout returns ctx bounded by opts.Timeout, when it is set.
func withTimeout(ctx context.Context, opts Options) (context.Context, context.CancelFunc) {
	if opts.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, opts.Timeout,
		&timeoutError{what: fmt.Sprintf("not done within %v (Options.Timeout, --timeout)", opts.Timeout)})
}

// causeOf returns the timeout that ended ctx, when one did, else err:
// net/http and oras-go report a context's end as context.Canceled or
// DeadlineExceeded, without saying which limit it was.
func causeOf(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); errors.Is(cause, ErrTimeout) {
			return cause
		}
	}
	return err
}

type phase int

const (
	sending   phase = iota // the request body goes out
	waiting                // for the answer's headers
	receiving              // the answer's body comes in
	done
)

// watch enforces the limits on one try of a request: ResponseTimeout
// while it waits for the answer, StallTimeout and MinRate while a body
// moves. Only time spent waiting on the registry counts: for an upload,
// the time outside reads of the blob; for a download, the time inside
// the caller's reads. Past a limit it cancels the request with a
// *timeoutError.
type watch struct {
	lim    limits
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	timer    *time.Timer
	armed    bool
	phase    phase
	deadline time.Time     // waiting: when the answer is late
	mark     time.Time     // sending, receiving: start of the window
	moved    int64         // bytes moved since mark
	inRead   time.Duration // time in reads since mark
	readAt   time.Time     // start of the read under way; zero when none
	err      *timeoutError
}

func newWatch(lim limits, cancel context.CancelCauseFunc, hasBody bool) *watch {
	w := &watch{lim: lim, cancel: cancel}
	w.mu.Lock()
	defer w.mu.Unlock()
	if hasBody && lim.window > 0 {
		w.phase, w.mark = sending, time.Now()
		w.arm(lim.window)
	} else {
		w.await()
	}
	return w
}

// arm (re)starts the timer; w.mu is held.
func (w *watch) arm(d time.Duration) {
	w.armed = true
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
		return
	}
	w.timer.Reset(d)
}

func (w *watch) disarm() {
	w.armed = false
	if w.timer != nil {
		w.timer.Stop()
	}
}

// await enters the waiting phase; w.mu is held.
func (w *watch) await() {
	w.phase = waiting
	if w.lim.response <= 0 {
		w.disarm()
		return
	}
	w.deadline = time.Now().Add(w.lim.response)
	w.arm(w.lim.response)
}

// answered enters the receiving phase; the timer starts with a read.
func (w *watch) answered() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.phase == done {
		return
	}
	w.phase, w.mark, w.moved, w.inRead = receiving, time.Now(), 0, 0
	w.disarm()
}

// stop ends the watch; a later fire does nothing.
func (w *watch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.phase = done
	w.disarm()
}

// waited is the time since mark spent waiting on the registry.
func (w *watch) waited(now time.Time) time.Duration {
	in := w.inRead
	if !w.readAt.IsZero() {
		in += now.Sub(w.readAt)
	}
	if w.phase == sending {
		return now.Sub(w.mark) - in
	}
	return in
}

func (w *watch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	switch w.phase {
	case waiting:
		if left := w.deadline.Sub(now); left > 0 {
			w.arm(left)
			return
		}
		w.fail(fmt.Sprintf("no answer within %v (Options.ResponseTimeout)", w.lim.response), w.lim.response)
	case sending, receiving:
		waited := w.waited(now)
		switch {
		case waited < w.lim.window && w.phase == receiving && w.readAt.IsZero():
			w.armed = false // the next read arms it again
		case waited < w.lim.window:
			w.arm(w.lim.window - waited)
		case w.moved >= w.lim.minBytes:
			w.mark, w.moved, w.inRead = now, 0, 0
			if !w.readAt.IsZero() {
				w.readAt = now
			}
			w.arm(w.lim.window)
		default:
			dir := "upload stalled: %d bytes sent"
			if w.phase == receiving {
				dir = "download stalled: %d bytes received"
			}
			w.fail(fmt.Sprintf(dir+" in %v, fewer than %d (Options.StallTimeout, MinRate)",
				w.moved, w.lim.window, w.lim.minBytes), w.lim.window)
		}
	}
}

// fail cancels the request with a *timeoutError; w.mu is held.
func (w *watch) fail(what string, after time.Duration) {
	w.err = &timeoutError{what: what, after: after}
	w.phase = done
	w.armed = false
	w.cancel(w.err)
}

// begin and end bracket a read of a body.
func (w *watch) begin() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.readAt = time.Now()
	if w.phase == receiving && !w.armed && w.lim.window > 0 {
		w.arm(max(w.lim.window-w.waited(w.readAt), time.Millisecond))
	}
}

func (w *watch) end(n int, eof bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.readAt.IsZero() {
		w.inRead += time.Since(w.readAt)
		w.readAt = time.Time{}
	}
	w.moved += int64(n)
	if eof {
		switch w.phase {
		case sending:
			w.await()
		case receiving:
			w.phase = done
			w.disarm()
		}
	}
}

// sent marks the request body as sent: the answer is awaited.
func (w *watch) sent() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.phase == sending {
		w.await()
	}
}

// failure returns the timeout that ended this try, or the one that
// ended parent, or err.
func (w *watch) failure(parent context.Context, err error) error {
	w.mu.Lock()
	te := w.err
	w.mu.Unlock()
	if te != nil {
		return te
	}
	return causeOf(parent, err)
}

// sendBody is a request body under a watch.
type sendBody struct {
	rc io.ReadCloser
	w  *watch
}

func (b *sendBody) Read(p []byte) (int, error) {
	b.w.begin()
	n, err := b.rc.Read(p)
	b.w.end(n, err == io.EOF)
	return n, err
}

func (b *sendBody) Close() error {
	b.w.sent()
	return b.rc.Close()
}

// recvBody is a response body under a watch; closing it ends the try.
type recvBody struct {
	rc     io.ReadCloser
	w      *watch
	parent context.Context
}

func (b *recvBody) Read(p []byte) (int, error) {
	b.w.begin()
	n, err := b.rc.Read(p)
	b.w.end(n, err == io.EOF)
	if err != nil && err != io.EOF {
		err = b.w.failure(b.parent, err)
	}
	return n, err
}

func (b *recvBody) Close() error {
	err := b.rc.Close()
	b.w.stop()
	b.w.cancel(nil)
	return err
}

// send makes one try of req under the limits.
func send(base http.RoundTripper, req *http.Request, lim limits) (*http.Response, error) {
	parent := req.Context()
	ctx, cancel := context.WithCancelCause(parent)
	hasBody := req.Body != nil && req.Body != http.NoBody
	w := newWatch(lim, cancel, hasBody)
	out := req.WithContext(ctx)
	if hasBody {
		out.Body = &sendBody{rc: req.Body, w: w}
	}
	resp, err := base.RoundTrip(out)
	if err != nil {
		w.stop()
		err = w.failure(parent, err)
		cancel(nil)
		return nil, err
	}
	w.answered()
	resp.Body = &recvBody{rc: resp.Body, w: w, parent: parent}
	return resp, nil
}
