// Package registrytest runs OCI distribution registries for tests, as
// net/http/httptest runs servers, and breaks their requests on purpose.
//
// [New] starts a registry in the test process, on a local port, that
// passes the OCI conformance suite: with TLS, basic or bearer-token
// authentication, read-only mode, artifacts preloaded under tags
// ([Registry.Preload]) and a log of the requests it served. [NewProxy]
// puts a proxy in front of another registry, such as a real
// docker-registry. Both inject the same [Fault]s: error statuses with
// Retry-After, cut connections, delays.
//
// A fault matches the method the client really sends: a pull by tag
// resolves the tag with HEAD, then gets the manifest by digest. A fault
// that never fired is a test that did not test what it meant to, so New
// and NewProxy fail the test when one is left at its end; Unfired lists
// them for a registry from Start.
package registrytest
