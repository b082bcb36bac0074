package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Backoff bounds: the first pause, and the longest.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 8 * time.Second
)

// retryTransport sends a request again when the registry is busy or the
// connection failed before an answer: on HTTP 408, 429, 500, 502, 503
// and 504, honouring Retry-After up to MaxRetryAfter, and on network
// errors. A request whose body cannot be sent again is not retried. A
// blob upload whose connection broke is not retried here either: the
// registry may have kept part of it, so pushBlob starts it over.
type retryTransport struct {
	base    http.RoundTripper
	retries int
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		if attempt >= t.retries || ctx.Err() != nil {
			return resp, err
		}
		wait, ok := retryable(req, resp, err, attempt)
		if !ok {
			return resp, err
		}
		next, ok := rewind(req)
		if !ok {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		req = next
	}
}

// retryable says whether to send req again after resp or err, and when.
func retryable(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		if isCertError(err) {
			return 0, false
		}
		if _, upload := req.Body.(*blobBody); upload {
			return 0, false
		}
		return backoff(attempt), isNetError(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if d, ok := retryAfter(resp); ok {
			return d, true
		}
		return backoff(attempt), true
	case http.StatusRequestTimeout, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusGatewayTimeout:
		return backoff(attempt), true
	}
	return 0, false
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

// backoff returns the pause before retry attempt+1: exponential from
// minBackoff, capped at maxBackoff, with ±25% jitter so parallel uploads
// do not retry in step.
func backoff(attempt int) time.Duration {
	d := minBackoff << min(attempt, 10)
	d = min(d, maxBackoff)
	return d - d/4 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
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
