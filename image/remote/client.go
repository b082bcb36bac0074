package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"oras.land/oras-go/v2/registry"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// userAgent is sent with every request.
const userAgent = "minimage"

// client is one repository of one registry, as Push and Pull talk to it.
type client struct {
	ref   reference
	opts  Options
	creds *credentials
	repo  *orasremote.Repository
	own   *lazyTLS  // the transport newClient made, if it made one
	rep   *reporter // opts.Progress, one at a time
}

// clientFor parses ref, REGISTRY/REPOSITORY[:TAG][@DIGEST], and returns
// a client of its repository.
func clientFor(ref string, opts Options) (*client, error) {
	r, err := parseReference(ref)
	if err != nil {
		return nil, err
	}
	return newClient(r, opts)
}

// newClient builds the HTTP stack for ref: TLS (or plain HTTP when
// allowed), retries, then oras-go's authentication on top.
func newClient(r reference, opts Options) (*client, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	creds, err := newCredentials(r, opts)
	if err != nil {
		return nil, err
	}
	base, err := transport(r, opts)
	if err != nil {
		return nil, err
	}
	rep := &reporter{f: opts.Progress}
	hc := &http.Client{Transport: &retryTransport{base: base, opts: opts, lim: opts.limits(), rep: rep}}
	if opts.HTTPClient != nil {
		hc.CheckRedirect = opts.HTTPClient.CheckRedirect
		hc.Jar = opts.HTTPClient.Jar
		hc.Timeout = opts.HTTPClient.Timeout
	}
	ac := &auth.Client{
		Client:     hc,
		Header:     http.Header{"User-Agent": {userAgent}},
		Credential: creds.get,
		Cache:      auth.NewCache(),
	}
	repo := &orasremote.Repository{
		Client:    ac,
		Reference: registry.Reference{Registry: r.Registry, Repository: r.Repository, Reference: r.version()},
		PlainHTTP: opts.InsecureAllowHTTP,
	}
	c := &client{ref: r, opts: opts, creds: creds, repo: repo, rep: rep}
	c.own, _ = base.(*lazyTLS)
	if opts.HTTPClient != nil {
		c.own = nil
	}
	return c, nil
}

// closeIdle closes the connections the client's own transport keeps
// open, once no more requests will be sent.
func (c *client) closeIdle() {
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
}

// transport returns the round tripper under the retries: the caller's,
// or a lazyTLS with the TLS settings of opts.
func transport(r reference, opts Options) (http.RoundTripper, error) {
	if opts.HTTPClient != nil {
		if opts.HTTPClient.Transport == nil {
			return http.DefaultTransport, nil
		}
		return opts.HTTPClient.Transport, nil
	}
	t, err := newLazyTLS(opts)
	if err != nil {
		return nil, fmt.Errorf("remote: %s: %w", r.Registry, err)
	}
	return t, nil
}

// wrap turns err into an *Error for op on this client's repository.
func (c *client) wrap(err error, op string) error {
	return wrapError(err, op, c.ref, c.creds.describe(), c.creds.secrets()...)
}

// timedOut returns err, or, when ctx ended with a timeout that err does
// not name yet (a bare context error), that timeout as an *Error for op.
func (c *client) timedOut(ctx context.Context, err error, op string) error {
	if err == nil || errors.Is(err, ErrTimeout) {
		return err
	}
	if cause := causeOf(ctx, nil); cause != nil {
		return c.wrap(cause, op)
	}
	return err
}
