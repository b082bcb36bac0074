// Package interop holds tests that check what package image writes against
// the OCI image-spec JSON schemas and real tools: skopeo, umoci and runc.
// It is a module of its own so that the schema validator's dependencies
// stay out of the main module.
//
// A test whose tool is missing is skipped, unless CI=true, where it fails;
// tests that need root (chroot, runc) likewise.
package interop
