// Package interop holds tests that check what package image writes against
// the OCI image-spec JSON schemas and real tools: skopeo, umoci, runc,
// and docker and podman, which the tests start with their state in a
// temporary directory and run images in.
// It is a module of its own so that the schema validator's dependencies
// stay out of the main module.
//
// A test whose tool is missing is skipped, unless CI=true, where it fails;
// tests that need root (chroot, runc) likewise.
package interop
