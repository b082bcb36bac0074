// Package dockerregistry runs a real registry for tests: Debian's
// docker-registry (distribution 2.8) on a loopback port, over TLS with a
// CA the test makes up and with htpasswd basic auth, its storage and logs
// in t.TempDir(). [Docker.Proxy] puts an image/registrytest.Proxy in
// front of it, which injects registrytest.Faults.
//
// The tests of image/remote, of the command line and of interop/ use it.
// Start skips the test when docker-registry is not installed, or fails it
// under CI=true, where .ci/run installs it. For a registry inside the test
// process, see image/registrytest.
package dockerregistry
