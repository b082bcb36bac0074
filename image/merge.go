package image

import (
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MergeSource is one source of MergeIndex: an image, or an index whose
// images are taken.
type MergeSource struct {
	// Name says which source an error is about, such as the reference it
	// was read by; "" names it by its position and digest.
	Name string
	// Artifact is an *Image or an *Index.
	Artifact Artifact
}

// MergeOptions says how MergeIndex resolves two sources of one platform,
// and what else the index gets. The zero value refuses them.
type MergeOptions struct {
	// Replace keeps the later source's image for a platform that an
	// earlier source has too, at the earlier one's place in the index.
	Replace bool
	// Annotations are set on the merged index, as WithAnnotation sets
	// them (an empty value sets none).
	Annotations map[string]string
}

// MergeIndex returns a new index of the images srcs hold, in order: an
// image is listed as itself, an index contributes the images it lists
// (nested ones included) under the descriptors it lists them by, with
// their platforms and annotations; what else an index lists (attestations,
// SBOM manifests) and its own annotations are left out. Every image keeps
// its bytes and so its digest: referrers that name it (signatures, SBOMs)
// stay valid.
//
// Two images of one platform (linux/arm64 and linux/arm64/v8 are the
// same) are an ErrDuplicatePlatform error naming both sources, unless
// they are the same image, which is listed once, or opts.Replace is set.
// A source that is no image or index is an error.
func MergeIndex(srcs []MergeSource, opts MergeOptions) (*Index, error) {
	if len(srcs) == 0 {
		return nil, fmt.Errorf("image: merge index: no sources; give one image or index per platform")
	}
	ix := &Index{}
	from := map[string]int{} // platform key → the entry's index in ix.entries
	owner := []string{}      // the source of each entry, by name
	for i, s := range srcs {
		name := s.Name
		if s.Artifact == nil {
			return nil, fmt.Errorf("image: merge index: source %d (%s) is nil", i, name)
		}
		if name == "" {
			name = fmt.Sprintf("source %d (%s)", i, s.Artifact.Digest())
		}
		es, err := platformEntries(s.Artifact)
		if err != nil {
			return nil, fmt.Errorf("image: merge index: %s: %w", name, err)
		}
		for _, e := range es {
			k := descPlatform(e).key()
			j, dup := from[k]
			switch {
			case !dup:
				from[k] = len(ix.entries)
				ix.entries = append(ix.entries, e)
				owner = append(owner, name)
			case ix.entries[j].desc.Digest == e.desc.Digest:
			case opts.Replace:
				ix.entries[j], owner[j] = e, name
			default:
				return nil, fmt.Errorf("image: merge index: %s and %s both hold a %s image (%s and %s): %w; give one image per platform, or replace the earlier with the later",
					owner[j], name, k, ix.entries[j].desc.Digest, e.desc.Digest, ErrDuplicatePlatform)
			}
		}
	}
	if len(ix.entries) == 0 {
		return nil, fmt.Errorf("image: merge index: the sources hold no image; give images or indexes of images")
	}
	for k, v := range opts.Annotations {
		ix = ix.WithAnnotation(k, v)
	}
	return ix, nil
}

// platformEntries returns the images a lists (or a itself), each with the
// descriptor to list it by, its platform always set.
func platformEntries(a Artifact) ([]entry, error) {
	switch a := a.(type) {
	case *Image:
		return []entry{{a: a, desc: a.Descriptor()}}, nil
	case *Index:
		var es []entry
		a.walkEntries(map[string]bool{}, func(e entry) {
			if img, ok := e.a.(*Image); ok {
				d := *cloneDescriptor(&e.desc)
				if d.Platform == nil {
					d.Platform = img.Platform().OCI()
				}
				es = append(es, entry{a: img, desc: d})
			}
		})
		return es, nil
	}
	return nil, fmt.Errorf("%s is a %s, not an image or index", a.Digest(), a.MediaType())
}

// walkEntries calls f on each entry ix and its nested indexes list, each
// digest once.
func (ix *Index) walkEntries(seen map[string]bool, f func(entry)) {
	for _, e := range ix.entries {
		d := e.desc.Digest.String()
		if seen[d] {
			continue
		}
		seen[d] = true
		if sub, ok := e.a.(*Index); ok {
			sub.walkEntries(seen, f)
			continue
		}
		f(e)
	}
}

// descPlatform is the platform e is listed under.
func descPlatform(e entry) Platform {
	p := e.desc.Platform
	if p == nil {
		p = &ocispec.Platform{}
	}
	return Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}
