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

// Tag is one of the names a layout or a tarball gives an artifact, split
// the ways the formats want it, as containerd, docker and oras write them.
type Tag struct {
	Ref   string // "v1": org.opencontainers.image.ref.name
	Full  string // "docker.io/library/app:v1": io.containerd.image.name; "" for a tag alone
	Short string // "app:v1", as given with ":latest" added: manifest.json's RepoTags; "" for a tag alone
}

// ParseTag parses a tag as layout.Options and tarball.Options take it:
// a docker reference NAME:TAG or NAME, which has a ':' or a '/' ("app:v1",
// "ghcr.io/me/app:v1", "ghcr.io/me/app" for ghcr.io/me/app:latest), or a
// tag alone ("v1", any OCI ref.name without ':' or '/'). The error wraps
// invalid, the caller's sentinel.
func ParseTag(pkg, s string, invalid error) (Tag, error) {
	if !strings.ContainsAny(s, ":/") {
		if err := CheckLayoutTag(pkg, s, invalid); err != nil {
			return Tag{}, err
		}
		return Tag{Ref: s}, nil
	}
	return ParseDockerTag(pkg, s, invalid)
}

// Annotations returns the annotations of an index.json entry named t.
func (t Tag) Annotations() map[string]string {
	m := map[string]string{ocispec.AnnotationRefName: t.Ref}
	if t.Full != "" {
		m[AnnotationContainerdName] = t.Full
	}
	return m
}

// Key returns what identifies t in an index: the full name, or the tag
// alone. Writing t replaces the entries with the same EntryKey.
func (t Tag) Key() string {
	if t.Full != "" {
		return t.Full
	}
	return t.Ref
}

// ParseDockerTag parses a docker reference "name" or "name:tag", such as
// "app", "app:v1" or "registry.example.com:5000/team/app:v1". The error
// wraps invalid, the caller's sentinel.
func ParseDockerTag(pkg, s string, invalid error) (Tag, error) {
	m := dockerRef.FindStringSubmatch(s)
	if m == nil || len(m[2]) > 255 {
		return Tag{}, fmt.Errorf("%s: tag %q: %w: use a tag such as v1, or a docker reference name:tag with a lower-case name, e.g. app:v1 or example.com/team/app:v1", pkg, s, invalid)
	}
	host, repo, tag := m[1], m[2], m[3]
	// A first component without a dot or port, other than localhost, is
	// a path component, as docker reads it.
	if host != "" && !strings.ContainsAny(host, ".:") && host != "localhost" {
		if strings.ToLower(host) != host {
			return Tag{}, fmt.Errorf("%s: tag %q: %w: repository names are lower case", pkg, s, invalid)
		}
		repo, host = host+"/"+repo, ""
	}
	if tag == "" {
		tag = "latest"
	}
	t := Tag{Ref: tag}
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

// EntryKey returns what identifies an index.json entry: its full
// containerd name; else its ref.name, read as a docker reference when it
// is one (as earlier versions wrote "app:v1" there), else as it is.
func EntryKey(annotations map[string]string) string {
	if full := annotations[AnnotationContainerdName]; full != "" {
		return full
	}
	return nameKey(annotations[ocispec.AnnotationRefName])
}

// EntryName returns an entry's name as a user reads it back: its full
// name as docker shows it ("app:v1" for "docker.io/library/app:v1"), or
// its ref.name when it has no full name. "" for an untagged entry.
func EntryName(annotations map[string]string) string {
	full := annotations[AnnotationContainerdName]
	if full == "" {
		return annotations[ocispec.AnnotationRefName]
	}
	s, ok := strings.CutPrefix(full, "docker.io/")
	if !ok {
		return full
	}
	if r, ok := strings.CutPrefix(s, "library/"); ok && !strings.Contains(r, "/") {
		return r
	}
	return s
}

// EntryTagged reports whether an index.json entry answers to tag: its
// ref.name ("v1") or full name as given, or a docker reference that
// stands for the entry's name ("app:v1" for "docker.io/library/app:v1",
// also where an earlier version wrote "app:v1" as the ref.name).
func EntryTagged(annotations map[string]string, tag string) bool {
	ref, full := annotations[ocispec.AnnotationRefName], annotations[AnnotationContainerdName]
	if tag == "" || ref == "" && full == "" {
		return false
	}
	return tag == ref || tag == full || nameKey(tag) == EntryKey(annotations)
}

// nameKey returns the Key of the tag s, or s itself where it is no tag
// ParseTag takes.
func nameKey(s string) string {
	if t, err := ParseTag("", s, nil); err == nil {
		return t.Key()
	}
	return s
}

// BlobPath returns a blob's path in a layout: blobs/<algorithm>/<hex>.
func BlobPath(d ocispec.Descriptor) string {
	return "blobs/" + d.Digest.Algorithm().String() + "/" + d.Digest.Encoded()
}
