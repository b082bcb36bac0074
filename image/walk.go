package image

import (
	"context"
	"fmt"
	"io"
	"slices"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Images returns every image that the entries tagged tag reach, one for
// each platform of an index, in index order; an empty tag takes every
// entry, tagged or not. Manifests and configs are read and checked here;
// layer bytes are checked as they are read. A tag that names nothing is an
// ErrNotFound error.
func (l *Layout) Images(tag string) ([]*Image, error) {
	var out []*Image
	if l.index == nil {
		for _, e := range l.docker {
			if tag != "" && !slices.Contains(e.RepoTags, tag) && !slices.ContainsFunc(e.RepoTags, func(r string) bool {
				t, err := parseDockerTag(tag)
				return err == nil && r == t.full
			}) {
				continue
			}
			img, err := l.dockerEntry(e)
			if err != nil {
				return nil, err
			}
			out = append(out, img)
		}
	} else {
		budget := maxDescriptors
		for _, d := range l.index.Manifests {
			if tag != "" && !entryTagged(d.Annotations, tag) {
				continue
			}
			imgs, err := l.every(d, 0, &budget)
			if err != nil {
				return nil, err
			}
			out = append(out, imgs...)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("image: %s: tag %q %w; it has tags %q", l.name, tag, ErrNotFound, l.Tags())
	}
	return out, nil
}

// every follows d to all the images it reaches.
func (l *Layout) every(d ocispec.Descriptor, depth int, budget *int) ([]*Image, error) {
	if depth > 4 {
		return nil, fmt.Errorf("image: %s: %w: indexes nested too deep at %s", l.name, ErrCorrupt, d.Digest)
	}
	data, err := l.readJSON(d)
	if err != nil {
		return nil, err
	}
	mt := d.MediaType
	if mt == "" {
		mt = jsonMediaType(data)
	}
	if !isIndexType(mt) {
		img, err := l.resolve(d, Platform{}, depth, budget)
		if err != nil {
			return nil, err
		}
		return []*Image{img}, nil
	}
	idx, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("image: %s: index %s: %w", l.name, d.Digest, err)
	}
	var out []*Image
	for _, c := range idx.Manifests {
		if *budget--; *budget < 0 {
			return nil, fmt.Errorf("image: %s: %w: more than %d descriptors to follow", l.name, ErrCorrupt, maxDescriptors)
		}
		imgs, err := l.every(c, depth+1, budget)
		if err != nil {
			return nil, err
		}
		out = append(out, imgs...)
	}
	return out, nil
}

// Verify reads every blob that the layout's entries reach, checks each
// against its digest and size, and each layer's tar against its diffID.
// It returns the number of distinct blobs checked; the first mismatch is
// an error (ErrBlobMismatch or layer.ErrDigestMismatch) naming the blob.
func (l *Layout) Verify(ctx context.Context) (int, error) {
	imgs, err := l.Images("")
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for _, img := range imgs {
		seen[string(img.Digest())], seen[string(img.ConfigDigest())] = true, true
		for _, lay := range img.Layers() {
			if seen[string(lay.Digest())] {
				continue
			}
			seen[string(lay.Digest())] = true
			if err := drain(ctx, lay.Compressed); err != nil {
				return 0, fmt.Errorf("image: %s: layer %s: %w", l.name, lay.Digest(), err)
			}
			if err := drain(ctx, lay.Uncompressed); err != nil {
				return 0, fmt.Errorf("image: %s: layer %s: %w", l.name, lay.Digest(), err)
			}
		}
	}
	return len(seen), nil
}

func drain(ctx context.Context, open func() (io.ReadCloser, error)) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := rc.Read(buf); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
