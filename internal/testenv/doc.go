// Package testenv holds the helpers that the tests of several minimage
// packages share: gates for tools and root, extracting and reading tar
// streams, running a program in a chroot, and golden files.
//
// Every helper takes a testing.TB and reports through it, so a test calls
// them without checking errors. The package imports only the standard
// library, so that the internal tests of any minimage package, layer's
// included, can use it without an import cycle.
package testenv
