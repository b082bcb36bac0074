// Package interop holds tests that check what package image writes against
// the OCI image-spec JSON schemas and real tools: skopeo, umoci, runc,
// and docker and podman, which the tests start with their state in a
// temporary directory and run images in.
// It is a module of its own so that the schema validator's dependencies
// stay out of the main module.
//
// A test whose tool is missing is skipped, unless CI=true, where it fails;
// tests that need root (chroot, runc) likewise.
//
// TestCosign runs cosign, $COSIGN or /usr/local/bin/cosign-v2.6.5 and
// cosign-v3.1.3 (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5,
// .../v3/cmd/cosign@v3.1.3, renamed), and is skipped without them, CI
// included: building each takes minutes. package signature checks the same
// formats against files cosign wrote (signature/testdata); COSIGN.md
// records a run of it.
package interop
