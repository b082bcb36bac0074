package remote

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/opencontainers/go-digest"
)

// The Docker Hub names: what users write, and the host behind it.
const (
	dockerHub      = "docker.io"
	dockerHubIndex = "index.docker.io"
)

var (
	// pathComponent is one component of a repository name, as the
	// distribution reference grammar has it.
	pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	hostPattern   = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$`)
)

// Reference is a parsed REGISTRY/REPOSITORY[:TAG][@DIGEST], as
// ParseReference reads it.
type Reference struct {
	// Registry is the registry's host[:port]; "docker.io" for Docker
	// Hub, however the reference spelled it.
	Registry string
	// Repository is the repository in it, such as "library/alpine".
	Repository string
	// Tag is the tag; "latest" when the reference has neither tag nor
	// digest, "" when it has a digest alone.
	Tag string
	// Digest is the manifest's digest, "" when the reference has none.
	Digest digest.Digest
}

// ParseReference parses s as Push and Pull do, and as docker and podman
// do: a first component with a dot or a colon, or "localhost", names the
// registry; otherwise the registry is Docker Hub, where a one-component
// name is under "library/" ("alpine:3.20" is
// docker.io/library/alpine:3.20). It sends no request. Errors wrap
// ErrInvalidReference.
func ParseReference(s string) (Reference, error) {
	r, err := parseReference(s)
	return Reference(r), err
}

// String returns the reference in its full form, such as
// "docker.io/library/alpine:3.20".
func (r Reference) String() string { return reference(r).String() }

// Name returns REGISTRY/REPOSITORY, the reference without its tag and
// digest, such as "docker.io/library/alpine".
func (r Reference) Name() string { return reference(r).repo() }

// reference is a parsed REGISTRY/REPOSITORY[:TAG][@DIGEST].
type reference struct {
	Registry   string // host[:port]; "docker.io" for Docker Hub
	Repository string
	Tag        string // may be empty
	Digest     digest.Digest
}

// parseReference parses s as docker and podman do: a first component
// with a dot or a colon, or "localhost", names the registry, otherwise
// the registry is Docker Hub, where a one-component name is under
// "library/". The tag defaults to "latest" when there is neither tag nor
// digest.
func parseReference(s string) (reference, error) {
	var r reference
	bad := func(why string) (reference, error) {
		return reference{}, fmt.Errorf("remote: reference %q: %s: %w (want REGISTRY/REPOSITORY[:TAG][@sha256:…])", s, why, ErrInvalidReference)
	}
	name := s
	if i := strings.IndexByte(name, '@'); i >= 0 {
		d, err := digest.Parse(name[i+1:])
		if err != nil {
			return bad(fmt.Sprintf("digest: %v", err))
		}
		r.Digest = d
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		r.Tag = name[i+1:]
		name = name[:i]
		if !tagPattern.MatchString(r.Tag) {
			return bad(fmt.Sprintf("tag %q has characters other than letters, digits, _ . -, or is over 128 long", r.Tag))
		}
	}
	if name == "" {
		return bad("no repository")
	}
	first, rest, found := strings.Cut(name, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost" || first != strings.ToLower(first)) {
		if !hostPattern.MatchString(first) {
			return bad(fmt.Sprintf("registry %q is not HOST[:PORT]", first))
		}
		r.Registry, r.Repository = first, rest
	} else {
		r.Registry, r.Repository = dockerHub, name
	}
	if r.Registry == dockerHubIndex || r.Registry == "registry-1.docker.io" {
		r.Registry = dockerHub
	}
	if r.Registry == dockerHub && !strings.Contains(r.Repository, "/") {
		r.Repository = "library/" + r.Repository
	}
	for _, c := range strings.Split(r.Repository, "/") {
		if !pathComponent.MatchString(c) {
			return bad(fmt.Sprintf("repository component %q: use lower-case letters, digits and . _ - between them", c))
		}
	}
	if len(r.Registry)+1+len(r.Repository) > 255 {
		return bad("name is over 255 characters")
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// String returns the reference in its full form.
func (r reference) String() string {
	s := r.Registry + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// repo returns REGISTRY/REPOSITORY, the name errors use.
func (r reference) repo() string { return r.Registry + "/" + r.Repository }

// version returns what names the manifest: the digest if there is one,
// else the tag.
func (r reference) version() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}
