package build

import (
	"context"
	"fmt"
	"sync"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// prepush overlaps a build with its pushes. With Registry outputs, it
// pushes each platform's image, by digest, as soon as it is built, while
// the next platform compiles and compresses; Run's push of the artifact
// then finds the images there and only puts the index and the tag. With
// GoBuild.Cache set, it also sends the binary's layer to the first
// Registry output while the layer compresses (remote.Upload), unless a
// record of an earlier build (layerRecord) names the layer's digest and
// the repository holds it already: an unchanged push then uploads
// nothing. When the record names the binary the cache holds from an
// earlier build and the repository lacks its layer, the upload starts
// before go build has checked that binary (see speculation). Without GoBuild.Cache there is no record, so the layer is
// uploaded after it is built, and only where the registry lacks it.
//
// A nil *prepush does nothing.
type prepush struct {
	p    *plan
	g    *errgroup.Group // the pipeline's: its Wait joins the pushes
	ctx  context.Context // the pipeline's
	outs []Output        // the Registry outputs

	mu      sync.Mutex
	streams map[int]*stream      // by platform, until image takes it
	specs   map[int]*speculation // by platform, until layer takes it
}

// newPrepush returns the prepush of a pipeline that runs in g with
// ctx, or nil when the recipe pushes nowhere.
func (p *plan) newPrepush(ctx context.Context, g *errgroup.Group) *prepush {
	var outs []Output
	for _, o := range p.r.Outputs {
		if o.Format == Registry {
			outs = append(outs, o)
		}
	}
	if len(outs) == 0 {
		return nil
	}
	return &prepush{p: p, g: g, ctx: ctx, outs: outs, streams: map[int]*stream{}, specs: map[int]*speculation{}}
}

// stream is the binary's layer of one platform on its way to the first
// Registry output while it compresses.
type stream struct {
	up     *remote.Upload
	spec   *speculation // the upload that started before go build ended, in place of up
	record string       // where the layer's record goes; "" for none
	failed error        // the upload's first error; the push uploads the layer then
	// present is set when the record named the layer and the registry
	// holds it: the image is most likely there too, under the tag, and
	// Run's push of the artifact checks the tag first and sends nothing.
	present bool
}

// Write passes the compressed bytes on to the upload until it fails;
// then it drops them. It never fails the layer's build: Run's push
// sends the layer if the upload did not.
func (s *stream) Write(b []byte) (int, error) {
	if s.failed == nil {
		_, s.failed = s.up.Write(b)
	}
	return len(b), nil
}

// layer returns opts for the binary's layer of platform i: with a Tee
// that uploads it while it compresses, when that is worth it (see
// prepush) and no speculation uploads it already (see speculation).
// key is what else decides the layer's bytes.
func (pp *prepush) layer(ctx context.Context, i int, bin string, key layerKey, opts layer.Options) layer.Options {
	if pp == nil {
		return opts
	}
	dir := pp.p.r.GoBuild.Cache
	if dir == "" {
		return opts
	}
	o := pp.outs[0]
	name, err := recordName(dir, bin, key, opts.Format)
	if err != nil {
		pp.fromSpec(i, "")
		pp.p.emit(Event{Kind: Note, Message: fmt.Sprintf("the binary's layer is uploaded once built: %v", err)})
		return opts
	}
	if pp.fromSpec(i, name) {
		return opts
	}
	if rec, ok := readRecord(name); ok {
		if has, err := remote.HasBlob(ctx, o.Path, rec.descriptor(), o.Remote); err == nil && has {
			// Unchanged: Run's push finds it there and sends nothing.
			pp.keep(i, &stream{record: name, present: true})
			return opts
		}
	}
	up, err := remote.NewUpload(ctx, o.Path, o.Remote)
	if err != nil {
		return opts // the push reports what is wrong with the output
	}
	s := &stream{up: up, record: name}
	pp.keep(i, s)
	opts.Tee = s
	return opts
}

func (pp *prepush) keep(i int, s *stream) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	pp.streams[i] = s
}

func (pp *prepush) take(i int) *stream {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	s := pp.streams[i]
	delete(pp.streams, i)
	return s
}

// image starts the push of platform i's image, img, in the pipeline's
// group: it ends the upload of the binary's layer, records the layer,
// then pushes img by digest to every Registry output, unless the
// registry held the recorded layer (see stream.present).
func (pp *prepush) image(i int, img *image.Image) {
	if pp == nil {
		return
	}
	s := pp.take(i)
	bin := img.Layers()[len(img.Layers())-1]
	pp.g.Go(func() error {
		if s != nil {
			s.finish(bin)
			if s.present {
				return nil
			}
		}
		for _, o := range pp.outs {
			r, err := remote.ParseReference(o.Path)
			if err != nil {
				return fmt.Errorf("build: output %s: %w", o.Path, err)
			}
			ref := r.Name() + "@" + img.Digest().String()
			if _, err := remote.Push(pp.ctx, ref, img, o.Remote); err != nil {
				return fmt.Errorf("build: output %s: %w", o.Path, err)
			}
		}
		return nil
	})
}

// finish commits the upload as l, or drops it, and records l.
func (s *stream) finish(l *layer.Layer) {
	d := ocispec.Descriptor{MediaType: l.MediaType(), Digest: l.Digest(), Size: l.Size()}
	if s.spec != nil {
		s.failed = s.spec.commit(l)
	}
	if s.up != nil {
		if s.failed == nil {
			s.failed = s.up.Commit(d)
		} else {
			s.up.Abort()
		}
	}
	if s.record != "" {
		writeRecord(s.record, layerRecord{MediaType: d.MediaType, Digest: d.Digest, DiffID: l.DiffID(), Size: d.Size})
	}
}

// close aborts the uploads that no image took, after a failed build;
// the pipeline's group has returned.
func (pp *prepush) close() {
	if pp == nil {
		return
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	for i, s := range pp.streams {
		if s.up != nil {
			s.up.Abort()
		}
		if s.spec != nil {
			s.spec.abort()
		}
		delete(pp.streams, i)
	}
	for i, s := range pp.specs {
		s.abort()
		delete(pp.specs, i)
	}
}
