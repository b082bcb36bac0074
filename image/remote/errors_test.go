package remote

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

func TestScrub(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{
			`PUT "https://reg.example:5000/v2/app/blobs/uploads/0b1c-22?_state=abcDEF%3D%3D&digest=sha256%3A00": response status code 400`,
			`PUT "https://reg.example:5000/v2/app/blobs/uploads/…": response status code 400`,
		},
		{`GET https://user:pw@reg.example/v2/?token=xyz#frag failed`, `GET https://reg.example/v2/ failed`},
		{`header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc and Basic dXNlcjpwYXNz`, `header Authorization: Bearer <redacted> and Basic <redacted>`},
		{`the password hunter2 leaked`, `the password <redacted> leaked`},
		{`nothing to hide`, `nothing to hide`},
	} {
		if got := scrub(tc.in, []string{"hunter2", ""}); got != tc.want {
			t.Errorf("scrub(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestWrapError(t *testing.T) {
	r := reference{Registry: "reg.example", Repository: "app", Tag: "v1"}
	upload, _ := url.Parse("https://reg.example/v2/app/blobs/uploads/abc?_state=SECRETSTATE")
	for _, tc := range []struct {
		name   string
		err    error
		kind   error
		status int
		words  []string
	}{
		{"401", &errcode.ErrorResponse{Method: "PUT", URL: upload, StatusCode: 401,
			Errors: errcode.Errors{{Code: "UNAUTHORIZED", Message: "authentication required"}}},
			ErrUnauthorized, 401, []string{"HTTP 401 Unauthorized: unauthorized: authentication required", "docker login reg.example"}},
		{"403", &errcode.ErrorResponse{Method: "POST", URL: upload, StatusCode: 403}, ErrDenied, 403, []string{"HTTP 403 Forbidden"}},
		{"404", &errcode.ErrorResponse{Method: "HEAD", URL: upload, StatusCode: 404}, image.ErrNotFound, 404, nil},
		{"429", &errcode.ErrorResponse{Method: "PUT", URL: upload, StatusCode: 429}, ErrTooManyRequests, 429, []string{"fewer Jobs"}},
		{"502", &errcode.ErrorResponse{Method: "PUT", URL: upload, StatusCode: 502}, ErrUnavailable, 502, nil},
		{"lost upload", &errcode.ErrorResponse{Method: "PUT", URL: upload, StatusCode: 400,
			Errors: errcode.Errors{{Code: "BLOB_UPLOAD_INVALID", Message: "blob upload invalid"}}},
			nil, 400, []string{"lost the upload"}},
		{"refused", &url.Error{Op: "Head", URL: upload.String(), Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")},
			nil, 0, []string{"connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := wrapError(tc.err, "push blob sha256:0123", r, "anonymous")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T, want *Error", err)
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("%v is not %v", err, tc.kind)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap the cause", err)
			}
			if e.StatusCode != tc.status {
				t.Errorf("status %d, want %d", e.StatusCode, tc.status)
			}
			msg := err.Error()
			for _, w := range append(tc.words, "remote: reg.example/app: push blob sha256:0123: ", "(credentials: anonymous)") {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "SECRETSTATE") || strings.Contains(msg, "_state") {
				t.Errorf("%q shows the upload state", msg)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"3600", MaxRetryAfter, true},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	} {
		resp := &http.Response{Header: http.Header{}}
		if tc.header != "" {
			resp.Header.Set("Retry-After", tc.header)
		}
		got, ok := retryAfter(resp)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q: %v, %v; want %v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
	// An HTTP date in the future waits until then.
	resp := &http.Response{Header: http.Header{"Retry-After": {time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat)}}}
	if got, ok := retryAfter(resp); !ok || got < 8*time.Second || got > 10*time.Second {
		t.Errorf("Retry-After in 10s: %v, %v", got, ok)
	}
}

func TestBackoff(t *testing.T) {
	for _, first := range []time.Duration{0, time.Millisecond} {
		b := newBudget(Options{Retries: 20, RetryTime: -1, Backoff: first})
		want := first
		if first == 0 {
			want = DefaultBackoff
		}
		for n := range 20 {
			d := min(want<<n, 32*want)
			got, ok := b.retry(nil, 0, false)
			if !ok || got < d*3/4 || got > d*5/4 {
				t.Fatalf("Backoff %v: retry %d waits %v, %v; want within 25%% of %v", first, n, got, ok, d)
			}
		}
		if _, ok := b.retry(nil, 0, false); ok {
			t.Errorf("Backoff %v: a 21st retry with Retries 20", first)
		}
	}
	if d, ok := newBudget(Options{Backoff: -1}).retry(nil, 0, false); !ok || d != 0 {
		t.Errorf("Backoff -1: waits %v, %v; want no pause", d, ok)
	}
}

func TestBudgetTime(t *testing.T) {
	stall := &timeoutError{what: "stalled", after: 2 * time.Second}
	for _, tc := range []struct {
		name  string
		opts  Options
		err   error
		asked time.Duration
		want  int // retries granted
	}{
		{"count", Options{Retries: 3, RetryTime: time.Hour}, nil, 0, 3},
		{"none", Options{Retries: -1}, nil, 0, 0},
		{"Retry-After past the bound", Options{Retries: 5, RetryTime: 5 * time.Second}, nil, MaxRetryAfter, 0},
		{"Retry-After within it", Options{Retries: 5, RetryTime: 5 * time.Second}, nil, 2 * time.Second, 2},
		{"timeouts count", Options{Retries: 5, RetryTime: 5 * time.Second, Backoff: -1}, stall, 0, 2},
		{"default bound", Options{Retries: 100}, nil, MaxRetryAfter, int(DefaultRetryTime / MaxRetryAfter)},
	} {
		b := newBudget(tc.opts)
		n := 0
		for ; n < 1000; n++ {
			if _, ok := b.retry(tc.err, tc.asked, tc.asked > 0); !ok {
				break
			}
		}
		if n != tc.want {
			t.Errorf("%s: %d retries granted, want %d", tc.name, n, tc.want)
		}
	}
}
