package ref

import (
	"context"
	"fmt"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
)

// ParseTarget reads name as a place to write to, which may not exist
// yet: an existing path, as Parse reads it; else PATH.tar[:TAG], a
// tarball; else a registry reference when the first component names a
// registry (has a dot or a colon, or is "localhost"), unless the name
// starts with "/", "./" or "../"; else a layout directory DIR[:TAG].
// PATH and DIR end at the first colon. opts.Local refuses registry
// references; opts.DockerHub is not read: a registry target always
// names its registry ("docker.io/me/app").
func ParseTarget(name string, opts Options) (Ref, error) {
	if name == "" {
		return Ref{}, fmt.Errorf("ref: empty target; give DIR[:TAG], FILE.tar[:TAG] or REGISTRY/REPOSITORY[:TAG]")
	}
	if path, tag, fi, ok := splitPath(name); ok {
		r := Ref{Kind: Tarball, Path: path, Tag: tag, Name: name}
		switch {
		case fi.IsDir():
			r.Kind = Layout
		case !strings.HasSuffix(strings.ToLower(path), ".tar"):
			// Never replace a file that is not named as a tarball.
			return Ref{}, fmt.Errorf("ref: target %s: %s is a file whose name does not end in .tar; give a layout directory, a FILE.tar, or a registry reference", name, path)
		}
		return r, nil
	}
	path, tag, _ := strings.Cut(name, ":")
	if strings.HasSuffix(strings.ToLower(path), ".tar") {
		return Ref{Kind: Tarball, Path: path, Tag: tag, Name: name}, nil
	}
	local := strings.HasPrefix(name, "/") || strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../")
	if !local && namesRegistry(name) {
		if opts.Local {
			return Ref{}, fmt.Errorf("ref: target %s is a registry reference; give a layout directory DIR[:TAG] or a FILE.tar (write ./%s for a directory of that name)", name, name)
		}
		rr, err := remote.ParseReference(name)
		if err != nil {
			return Ref{}, fmt.Errorf("ref: target %s: %w; write ./%s for a layout directory", name, err, name)
		}
		return Ref{Kind: Registry, Reference: rr, Name: name}, nil
	}
	return Ref{Kind: Layout, Path: path, Tag: tag, Name: name}, nil
}

// Write writes a where r points, named by r's tag and by tags: pushed to
// the registry (remote.Push, tags being more tags of the repository), or
// added to the layout, or written to the tarball, which it replaces
// (layout.Options.Tags: a tag such as "v1" or a name such as "app:v1").
// A layout or tarball with neither r.Tag nor tags holds a untagged.
func (r Ref) Write(ctx context.Context, a image.Artifact, opts remote.Options, tags ...string) error {
	var names []string
	if r.Tag != "" {
		names = append(names, r.Tag)
	}
	names = append(names, tags...)
	switch r.Kind {
	case Layout:
		return layout.Write(ctx, r.Path, a, layout.Options{Tags: names})
	case Tarball:
		return tarball.WriteFile(ctx, r.Path, a, tarball.Options{Tags: names})
	case Registry:
		_, err := remote.Push(ctx, r.Name, a, opts, tags...)
		return err
	}
	return fmt.Errorf("ref: %q was not made by Parse or ParseTarget", r.Name)
}
