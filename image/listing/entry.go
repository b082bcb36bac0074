package listing

import (
	"context"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Entry is one artifact of a source, with every tag that names it.
type Entry struct {
	Tags     []string
	Artifact image.Artifact
}

// Entries returns the entry of src tagged tag or, for tag "", every
// entry of src, each digest once: the tagged ones in src's order, then
// the untagged ones of a layout, or the one artifact of an untagged
// source.
func Entries(ctx context.Context, src image.Source, tag string) ([]Entry, error) {
	if tag != "" {
		a, err := src.Artifact(ctx, tag)
		if err != nil {
			return nil, err
		}
		return []Entry{{[]string{tag}, a}}, nil
	}
	var out []Entry
	for _, t := range src.Tags() {
		a, err := src.Artifact(ctx, t)
		if err != nil {
			return nil, err
		}
		out = add(out, t, a)
	}
	if l, ok := src.(*layout.Layout); ok {
		ld := image.NewLoader(l) // an index listed many times is read once
		for _, d := range l.Manifests() {
			if d.Annotations[ocispec.AnnotationRefName] != "" {
				continue
			}
			a, err := ld.Load(ctx, d)
			if err != nil {
				return nil, err
			}
			out = add(out, "", a)
		}
	}
	if len(out) == 0 {
		a, err := src.Artifact(ctx, "")
		if err != nil {
			return nil, err
		}
		out = add(out, "", a)
	}
	return out, nil
}

// add adds a, tagged t (none for ""), to entries, or t to a's entry.
func add(entries []Entry, t string, a image.Artifact) []Entry {
	for i := range entries {
		if entries[i].Artifact.Digest() == a.Digest() {
			if t != "" {
				entries[i].Tags = append(entries[i].Tags, t)
			}
			return entries
		}
	}
	var tags []string
	if t != "" {
		tags = []string{t}
	}
	return append(entries, Entry{tags, a})
}
