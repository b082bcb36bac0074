// Package tarball reads and writes image tarballs: one tar file that is
// both an OCI image layout and a docker archive (manifest.json), which
// docker load, podman load, skopeo (oci-archive: and docker-archive:),
// crane and ctr images import all accept.
//
// [Write] streams the blobs of any image.Artifact into an io.Writer with
// deterministic bytes; [WriteFile] replaces a file atomically; [File]
// writes the same bytes in place for a caller that builds the layers,
// each compressed straight into its entry. [Read]
// opens what Write, docker save, podman save and skopeo wrote, OCI or
// docker archive, without extracting it.
package tarball
