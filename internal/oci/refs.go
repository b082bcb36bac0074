// Package oci holds what the transports (image/layout, image/tarball,
// image/remote) share below the image package: the tag grammars, blob
// paths, and atomic, durable file writes.
package oci

import (
	"fmt"
	"regexp"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// AnnotationContainerdName is the annotation that containerd, and docker
// load from version 25, read as an image's full name in an OCI tarball.
// image.AnnotationContainerdName is the same constant.
const AnnotationContainerdName = "io.containerd.image.name"

// ociRef is the grammar of org.opencontainers.image.ref.name in the OCI
// image-layout specification.
var ociRef = regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$`)

// dockerRef is a docker reference without a digest: an optional registry
// host[:port], path components, an optional tag.
var dockerRef = regexp.MustCompile(`^(?:((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)/)?([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?$`)

// CheckLayoutTag checks a tag for an OCI layout's index.json. The error
// wraps invalid, the caller's sentinel.
func CheckLayoutTag(pkg, tag string, invalid error) error {
	if !ociRef.MatchString(tag) {
		return fmt.Errorf("%s: tag %q: %w: a layout tag is letters and digits joined by - . _ : @ + or /, e.g. v1.2 or example.com/app:v1", pkg, tag, invalid)
	}
	return nil
}

// DockerTag is a tarball tag split the ways the formats want it.
type DockerTag struct {
	Short string // "name:tag" as given, ":latest" added: manifest.json
	Full  string // "docker.io/library/name:tag": io.containerd.image.name
	Tag   string // "tag": org.opencontainers.image.ref.name
}

// ParseDockerTag parses a docker reference "name" or "name:tag", such as
// "app", "app:v1" or "registry.example.com:5000/team/app:v1". The error
// wraps invalid, the caller's sentinel.
func ParseDockerTag(pkg, s string, invalid error) (DockerTag, error) {
	m := dockerRef.FindStringSubmatch(s)
	if m == nil || len(m[2]) > 255 {
		return DockerTag{}, fmt.Errorf("%s: tag %q: %w: use a docker reference name[:tag] with a lower-case name, e.g. app:v1 or example.com/team/app:v1", pkg, s, invalid)
	}
	host, repo, tag := m[1], m[2], m[3]
	// A first component without a dot or port, other than localhost, is
	// a path component, as docker reads it.
	if host != "" && !strings.ContainsAny(host, ".:") && host != "localhost" {
		if strings.ToLower(host) != host {
			return DockerTag{}, fmt.Errorf("%s: tag %q: %w: repository names are lower case", pkg, s, invalid)
		}
		repo, host = host+"/"+repo, ""
	}
	if tag == "" {
		tag = "latest"
	}
	t := DockerTag{Tag: tag}
	name := repo
	if host != "" {
		name = host + "/" + repo
	}
	t.Short = name + ":" + tag
	if host == "" {
		host = "docker.io"
		if !strings.Contains(repo, "/") {
			repo = "library/" + repo
		}
	}
	t.Full = host + "/" + repo + ":" + tag
	return t, nil
}

// EntryTagged reports whether an index.json entry answers to tag: its
// ref.name or full containerd name as given, or, for a docker reference
// such as "app:v1", the full name that reference stands for
// ("docker.io/library/app:v1").
func EntryTagged(annotations map[string]string, tag string) bool {
	ref, full := annotations[ocispec.AnnotationRefName], annotations[AnnotationContainerdName]
	if tag == ref || (full != "" && tag == full) {
		return true
	}
	t, err := ParseDockerTag("", tag, nil)
	return err == nil && full != "" && t.Full == full
}

// BlobPath returns a blob's path in a layout: blobs/<algorithm>/<hex>.
func BlobPath(d ocispec.Descriptor) string {
	return "blobs/" + d.Digest.Algorithm().String() + "/" + d.Digest.Encoded()
}
