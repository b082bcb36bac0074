// Package registrytest runs a real registry for tests: Debian's
// docker-registry (distribution 2.8) on a loopback port, over TLS with a
// CA the test makes up and with htpasswd basic auth, its storage and logs
// in t.TempDir(); and a reverse proxy in front of it that breaks chosen
// requests (cut connections, 503 bursts, 429 with Retry-After).
//
// The tests of image/remote and of the command line use it. Start skips
// the test when docker-registry is not installed, or fails it under
// CI=true, where .ci/run installs it. For a registry inside the test
// process, see image/imagetest.
package registrytest
