package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/escape"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Sentinel errors, to be tested with errors.Is. Every error Push and Pull
// return for a registry request is an *Error that wraps one of them when
// it applies. A repository, tag, manifest or blob the registry does not
// hold (HTTP 404) is image.ErrNotFound, and a digest that differs from
// the one expected (a registry answering with other bytes, a reference
// whose digest is not the artifact's) is layer.ErrDigestMismatch, as
// from every transport.
var (
	// ErrInvalidReference reports a reference that is not
	// REGISTRY/REPOSITORY[:TAG][@DIGEST].
	ErrInvalidReference = errors.New("invalid reference")

	// ErrUnauthorized reports a registry that asked for credentials and
	// refused the ones sent, or none were found (HTTP 401).
	ErrUnauthorized = errors.New("unauthorized")

	// ErrDenied reports credentials that were accepted but lack the
	// permission asked for (HTTP 403).
	ErrDenied = errors.New("access denied")

	// ErrTooManyRequests reports a registry that kept answering HTTP 429
	// after every retry.
	ErrTooManyRequests = errors.New("too many requests")

	// ErrUnavailable reports a registry that could not be reached or
	// kept failing (a refused or cut connection, HTTP 5xx) after every
	// retry.
	ErrUnavailable = errors.New("registry unavailable")

	// ErrTimeout reports a registry that took too long: no answer
	// within Options.ResponseTimeout, a transfer slower than
	// Options.MinRate over Options.StallTimeout, or a call that went
	// past Options.Timeout. The message says which.
	ErrTimeout = errors.New("timed out")

	// ErrCertificate reports a TLS certificate that could not be
	// verified: an unknown authority, an expired certificate or another
	// host's name.
	ErrCertificate = errors.New("certificate not trusted")

	// ErrCredentialHelper reports a docker-credential-* helper that
	// failed or printed something that is not a credential.
	ErrCredentialHelper = errors.New("credential helper failed")

	// ErrCredentialsFile reports a credential file (docker's
	// config.json, podman's auth.json) that cannot be read.
	ErrCredentialsFile = errors.New("bad credentials file")
)

// Error is a failed registry operation. Its message is one line naming
// the operation, the registry and repository, the HTTP status and where
// the credentials came from; it never holds a password, a token or an
// upload URL's state.
type Error struct {
	// Op is what was being done: "push blob sha256:…", "resolve tag
	// v1", "push manifest sha256:…" and so on.
	Op string
	// Registry is the registry's host[:port]; Repository the repository
	// in it.
	Registry   string
	Repository string
	// StatusCode is the HTTP status of the answer that failed, 0 when
	// there was none (a connection that failed, for one).
	StatusCode int
	// Credentials says where the credentials sent came from, such as
	// `anonymous` or `auths in /home/me/.docker/config.json`.
	Credentials string

	kind error  // the sentinel, or nil
	err  error  // the cause, as oras-go or net/http gave it
	msg  string // the cause's text, scrubbed
	hint string // how to fix it, when known; {Field} names an Options field
}

// Error returns the one-line message. What the registry wrote in it is
// escaped: a control byte, such as ESC or \r, shows as \x1b or \r, so
// the message can neither reach the terminal as an escape sequence nor
// forge a line. A fix that is an Options field names it as
// Options.InsecureAllowHTTP.
func (e *Error) Error() string {
	return e.Message(func(field string) string { return "Options." + field })
}

// Message is Error's message with each Options field it names spelled
// by name, such as a command line's flag for it: "--insecure-allow-http"
// for "InsecureAllowHTTP".
func (e *Error) Message(name func(field string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "remote: %s/%s: %s: ", e.Registry, e.Repository, e.Op)
	var parts []string
	if e.StatusCode != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode)))
	}
	if e.msg != "" {
		parts = append(parts, e.msg)
	}
	b.WriteString(strings.Join(parts, ": "))
	if e.Credentials != "" && e.kind != ErrCredentialHelper && e.kind != ErrCredentialsFile {
		fmt.Fprintf(&b, " (credentials: %s)", e.Credentials)
	}
	if e.hint != "" {
		b.WriteString("; " + fieldPattern.ReplaceAllStringFunc(e.hint, func(f string) string { return name(f[1 : len(f)-1]) }))
	}
	return escape.String(b.String())
}

// Unwrap returns the sentinel (when one applies) and the cause. The
// cause's own text is not scrubbed; print the *Error, not the cause.
func (e *Error) Unwrap() []error {
	if e.kind != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.err}
}

// wrapError turns err from oras-go or net/http into an *Error. It
// returns err unchanged when it is nil, a context error on its own, or
// already an *Error. secrets are strings that must never be printed.
func wrapError(err error, op string, r reference, creds string, secrets ...string) error {
	if err == nil {
		return nil
	}
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	if err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	e := &Error{Op: op, Registry: r.Registry, Repository: r.Repository, Credentials: creds, err: err}
	e.kind, e.StatusCode, e.msg, e.hint = classify(err, r)
	e.msg = scrub(e.msg, secrets)
	return e
}

// classify finds the sentinel, status, message and fix for err.
func classify(err error, r reference) (kind error, status int, msg, hint string) {
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		status = resp.StatusCode
		if len(resp.Errors) > 0 {
			msg = resp.Errors.Error()
		}
		kind, hint = statusKind(status, r)
		switch {
		case kind == nil && isUploadCode(resp):
			hint = "the registry lost the upload (did it restart?); try again"
		case status == http.StatusBadRequest && len(resp.Errors) == 0 && resp.URL != nil && resp.URL.Scheme == "http":
			hint = "the registry may speak HTTPS: drop {InsecureAllowHTTP}"
		}
		return kind, status, msg, hint
	}
	var ce *credError
	if errors.As(err, &ce) {
		return ce.kind, 0, ce.msg, ""
	}
	var verr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &verr), errors.As(err, &uaErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		return ErrCertificate, 0, innermost(err),
			"trust the registry's certificate authority with {CAFiles} or SSL_CERT_FILE"
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return ErrUnauthorized, http.StatusUnauthorized, "the registry asks for credentials and none were found",
			loginHint(r)
	case errors.Is(err, errdef.ErrNotFound):
		return image.ErrNotFound, http.StatusNotFound, "not found", ""
	case errors.Is(err, errdef.ErrSizeExceedsLimit):
		return nil, 0, innermost(err), ""
	}
	if errors.Is(err, ErrTimeout) {
		return ErrTimeout, 0, innermost(err),
			fmt.Sprintf("%s stopped answering or is too slow; check it, or raise the limit named", r.Registry)
	}
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return ErrUnavailable, 0, "the registry does not speak TLS",
			"if it serves plain HTTP and that is intended, set {InsecureAllowHTTP}"
	}
	if isNetError(err) {
		return ErrUnavailable, 0, innermost(err), ""
	}
	return nil, 0, innermost(err), ""
}

// statusKind maps an HTTP status to a sentinel and a fix.
func statusKind(status int, r reference) (error, string) {
	switch {
	case status == http.StatusUnauthorized:
		return ErrUnauthorized, loginHint(r)
	case status == http.StatusForbidden:
		return ErrDenied, "the credentials lack the permission; ask the registry's owner"
	case status == http.StatusNotFound:
		return image.ErrNotFound, ""
	case status == http.StatusTooManyRequests:
		return ErrTooManyRequests, "the registry limits requests; try again later or with fewer Jobs"
	case status >= 500:
		return ErrUnavailable, ""
	}
	return nil, ""
}

func loginHint(r reference) string {
	return fmt.Sprintf("check the username and password ({Username}) or log in with `docker login %s`", r.Registry)
}

func isUploadCode(resp *errcode.ErrorResponse) bool {
	for _, e := range resp.Errors {
		switch e.Code {
		case errcode.ErrorCodeBlobUploadInvalid, errcode.ErrorCodeBlobUploadUnknown,
			errcode.ErrorCodeDigestInvalid, errcode.ErrorCodeSizeInvalid:
			return true
		}
	}
	return false
}

// isNetError reports a failure to reach the server or a connection that
// broke, as opposed to an answer.
func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// innermost returns the text of err without the "METHOD URL:" prefixes
// that url.Error and oras-go put in front.
func innermost(err error) string {
	for {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
			continue
		}
		return err.Error()
	}
}

var (
	fieldPattern = regexp.MustCompile(`\{[A-Za-z]+\}`) // an Options field in a hint
	urlPattern   = regexp.MustCompile(`(?i)\bhttps?://[^\s"'<>]+`)
	authPattern  = regexp.MustCompile(`(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}`)
)

// scrub removes from s what must not be printed: queries of URLs (an
// upload's _state, a token), the upload session after /blobs/uploads/,
// user info, Authorization values, and each of secrets.
func scrub(s string, secrets []string) string {
	s = urlPattern.ReplaceAllStringFunc(s, func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			return "<url>"
		}
		u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
		if i := strings.Index(u.Path, "/blobs/uploads/"); i >= 0 {
			u.Path, u.RawPath = u.Path[:i+len("/blobs/uploads/")], ""
			return u.String() + "…"
		}
		return u.String()
	})
	s = authPattern.ReplaceAllString(s, "$1 <redacted>")
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
}
