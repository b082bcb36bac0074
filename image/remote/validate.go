package remote

import (
	"errors"
	"fmt"
)

// ErrInvalidOptions reports Options whose fields contradict each other or
// are out of range; Validate says which and how to fix them.
var ErrInvalidOptions = errors.New("invalid options")

// Validate reports Options that Push and Pull refuse, before any request:
// an HTTPClient together with CAFiles or InsecureSkipTLSVerify (the
// client's transport decides TLS, so they would be ignored),
// InsecureSkipTLSVerify with InsecureAllowHTTP (plain HTTP has no
// certificate to skip), a Username without a Password or the reverse,
// and a negative Jobs. Push and Pull call it; a caller that builds
// Options from flags can call it first. Errors wrap ErrInvalidOptions.
func (o Options) Validate() error {
	switch {
	case o.HTTPClient != nil && len(o.CAFiles) > 0:
		return invalidOptions("HTTPClient and CAFiles are both set, and the client's transport decides TLS; add the CAs to its TLS config (RootCAs), or drop HTTPClient")
	case o.HTTPClient != nil && o.InsecureSkipTLSVerify:
		return invalidOptions("HTTPClient and InsecureSkipTLSVerify are both set, and the client's transport decides TLS; set InsecureSkipVerify in its TLS config, or drop HTTPClient")
	case o.InsecureAllowHTTP && o.InsecureSkipTLSVerify:
		return invalidOptions("InsecureAllowHTTP speaks plain HTTP, which has no certificate to skip; drop InsecureSkipTLSVerify or InsecureAllowHTTP")
	case o.Username != "" && o.Password == "":
		return invalidOptions("a username without a password; give both, or neither to use the credential files")
	case o.Username == "" && o.Password != "":
		return invalidOptions("a password without a username; give both")
	case o.Jobs < 0:
		return invalidOptions(fmt.Sprintf("Jobs is %d; give 1 or more uploads at once, or 0 for %d", o.Jobs, DefaultJobs))
	}
	return nil
}

func invalidOptions(msg string) error {
	return fmt.Errorf("remote: %w: %s", ErrInvalidOptions, msg)
}
