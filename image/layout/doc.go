// Package layout reads and writes OCI image-layout directories: the
// oci-layout file, index.json and blobs/<algorithm>/<hex>, as skopeo's
// oci:, umoci and crane use them.
//
// [Write] never loses what a layout held: blobs are written to temporary
// files and renamed, index.json is replaced atomically and last, and
// writers hold an exclusive flock on the layout directory only while they
// read, change and replace index.json, so that many write into one layout
// at once. Tags follow containerd, docker and oras: the tag alone in
// org.opencontainers.image.ref.name, the full name in
// io.containerd.image.name. [Read] opens a layout and hands out its
// entries as stored ([Layout.Artifact], [Layout.Image], [Layout.Index]);
// every blob read through it is checked against its digest, and only
// regular files are read.
package layout
