package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// retryTransport sends a request again when the registry is busy or the
// connection failed before an answer: on HTTP 408, 429, 500, 502, 503
// and 504, honouring Retry-After up to MaxRetryAfter, and on network
// errors and timeouts. Each try runs under the response and stall
// limits. Retries draw from the budget the request's context carries
// (see withBudget), else from one of its own. A request whose body
// cannot be sent again is not retried. A blob upload whose connection
// broke is not retried here either: the registry may have kept part of
// it, so pushBlob starts it over.
type retryTransport struct {
	base http.RoundTripper
	opts Options
	lim  limits
	rep  *reporter
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	b := budgetOf(ctx)
	if b == nil {
		b = newBudget(t.opts)
	}
	for {
		resp, err := send(t.base, req, t.lim)
		if ctx.Err() != nil {
			return resp, err
		}
		asked, hasAsked, ok := retryable(req, resp, err)
		if !ok {
			return resp, err
		}
		next, ok := rewind(req)
		if !ok {
			return resp, err
		}
		wait, ok := b.retry(err, asked, hasAsked)
		if !ok {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		t.rep.send(Progress{State: Waiting, Wait: wait, Err: waitCause(req, resp, err)})
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		req = next
	}
}

// waitCause says why req is sent again: the registry's status, or the
// network error without the URL, which may hold an upload's state.
func waitCause(req *http.Request, resp *http.Response, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %s", req.URL.Host, innermost(err))
	}
	return fmt.Errorf("%s: HTTP %d %s", req.URL.Host, resp.StatusCode, http.StatusText(resp.StatusCode))
}

// retryable says whether to send req again after resp or err, and the
// pause the registry asked for, if it did.
func retryable(req *http.Request, resp *http.Response, err error) (asked time.Duration, hasAsked, ok bool) {
	if err != nil {
		if isCertError(err) {
			return 0, false, false
		}
		if _, upload := req.Body.(*blobBody); upload {
			return 0, false, false
		}
		return 0, false, isNetError(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		d, ok := retryAfter(resp)
		return d, ok, true
	case http.StatusRequestTimeout, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusGatewayTimeout:
		return 0, false, true
	}
	return 0, false, false
}

// rewind returns a copy of req with its body ready to be sent again.
func rewind(req *http.Request) (*http.Request, bool) {
	next := req.Clone(req.Context())
	switch {
	case req.Body == nil || req.Body == http.NoBody:
	case req.GetBody != nil:
		b, err := req.GetBody()
		if err != nil {
			return nil, false
		}
		next.Body = b
	default:
		bb, ok := req.Body.(*blobBody)
		if !ok {
			return nil, false
		}
		next.Body = bb.again()
	}
	return next, true
}

// retryAfter reads Retry-After, in seconds or as an HTTP date, capped
// at MaxRetryAfter.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	} else {
		return 0, false
	}
	return min(max(d, 0), MaxRetryAfter), true
}

// sleep waits d or until ctx ends, and then returns the timeout that
// ended it or ctx.Err().
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return causeOf(ctx, ctx.Err())
	case <-t.C:
		return nil
	}
}

func isCertError(err error) bool {
	var verr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invErr x509.CertificateInvalidError
	return errors.As(err, &verr) || errors.As(err, &uaErr) || errors.As(err, &hostErr) || errors.As(err, &invErr)
}
