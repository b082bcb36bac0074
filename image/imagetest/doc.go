// Package imagetest makes small, real, deterministic OCI images for Go
// tests, as net/http/httptest makes servers and testing/fstest file
// systems.
//
// A test asks for an image in one of two ways. [Image] and [Index] generate
// one from a [Spec]: a seed, a number of layers, files per layer, a file
// size and platforms. The layers hold text files, binary files,
// directories and a symlink under /usr/share/fixture, and the same Spec
// gives the same digests on every machine and every run. [FromLayers] and
// [FromFS] build one from files the test names, one layer per map, with
// [Whiteout] and [Opaque] to delete what lower layers hold, as the OCI
// image spec's whiteout files do, and [Layer.With] to give entries a
// mode, owner or time of their own ([Attrs] of layer.Attr).
//
// [Fixture] and [FixtureIndex] are small fixed images whose digests the
// goldens of package image and its transports pin; [Failing] makes a
// layer whose reader breaks half-way.
//
// [WriteLayout], [WriteTarball] and [TarballBytes] put an image where the
// code under test reads it. [Files] reads an image's flattened filesystem
// back, applying its layers in order as a container runtime would, and
// [AssertFiles] and [EqualFiles] fail the test with a readable diff.
//
//	func TestPush(t *testing.T) {
//		img := imagetest.Image(t, imagetest.Spec{Seed: 1, Layers: 3, Files: 10})
//		dir := imagetest.WriteLayout(t, img, "v1")
//		got := push(t, dir) // the code under test
//		imagetest.EqualFiles(t, got, img)
//	}
//
// A registry to push fixtures to or pull them from is in package
// image/registrytest.
//
// The helpers that take a [testing.TB] call t.Helper, end the test with
// t.Fatal when they cannot do their work, report differences with
// t.Error, and leave nothing behind: files go under t.TempDir. Each has a
// form that returns an error instead ([Spec.Image], [Spec.Index],
// [Layer.Build], [Flatten], [Diff]) for use outside tests and in examples.
// Everything in this package is safe for concurrent use; the images it
// returns are immutable values of package image.
package imagetest
