// Package image assembles OCI images and indexes in memory from layers,
// checks the binaries that go into them, and writes and reads OCI image
// layouts and tarballs.
//
// An [Image] is an immutable value: [New] gives an empty image for a
// [Platform], and every With… and Append method returns a new Image. An
// [Index] holds one image per platform. Both are [Artifact]s, which
// [WriteLayout] writes into an OCI image-layout directory and
// [WriteTarball] into a single tar file that docker load, podman load,
// skopeo, crane and ctr all accept. [ReadLayout] and [ReadTarball] open
// what these (and docker save, skopeo) wrote; [FromBase] builds on an
// image taken from them.
//
// # Defaults
//
// A new image is created at the Unix epoch, runs as [DefaultUser]
// (65532:65532, "nonroot"), and has no entrypoint, environment, labels or
// annotations. Its JSON is encoded by encoding/json, which sorts map
// keys, so the same values always give the same bytes and digests; the
// only time in it is the created time, which history entries without
// their own also take. Media types are OCI's (image manifest, config and
// index v1).
//
// # Binaries
//
// [Image.AddBinary] and [CheckBinary] read a binary's ELF header before it
// goes into a linux image, and reject a binary for another architecture
// ([ErrWrongArch]), a dynamically linked one ([ErrDynamic]) and one that is
// not ELF ([ErrNotELF]), each with the fix in the message. Go build
// information fills the source and revision annotations and the
// [LabelGoVersion] label.
//
// # Layouts on disk
//
// [WriteLayout] never loses what a layout held: blobs are written to
// temporary files and renamed, index.json is replaced atomically and last,
// and writers hold an exclusive flock on the layout directory while they
// read, change and replace index.json.
package image
