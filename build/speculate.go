package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/layer"
)

// speculation is the upload of a binary's layer, built from the binary
// that GoBuild.Cache holds from an earlier build, while go build checks
// whether that binary is still up to date: most often it is, and the
// upload has then started as much earlier as go build's check takes.
//
// It reads the binary through a handle opened before go build starts
// (go build replaces the file rather than writing into it, and a handle
// keeps the old one), and it is kept only when go build leaves a binary
// of the same Go build ID, so of the same bytes (settle), and the layer
// built from it has the digest of the record of that binary's layer:
// the image then takes that layer (built), and the upload is committed
// (stream.finish). Otherwise the upload is aborted, and the registry
// asked to drop it: a speculation that fails costs an upload, never a
// wrong image.
type speculation struct {
	buildID string // the binary's Go build ID, before go build
	record  string // the file of rec
	rec     layerRecord
	cancel  context.CancelFunc

	started chan struct{} // closed once up and present are set
	done    chan struct{} // closed when run has returned
	// Set before started is closed: the upload, nil when the registry
	// holds the recorded layer (present) or the upload did not start.
	up      *remote.Upload
	present bool
	// Set before done is closed: the layer that went up and the hashes
	// of the binary it holds, or the error that stopped it.
	l   *layer.Layer
	sum *hasher
	err error
}

// speculate starts the speculation of platform i, whose go build is gb,
// when the binary cache holds a binary for it, a Go program with a build
// ID, and a record of its layer: in the pipeline's group, it asks the
// registry for the recorded layer and, when the registry lacks it,
// uploads the layer as it builds it from that binary. Call it just
// before go build, then settle after.
func (pp *prepush) speculate(i int, gb goBuildCmd, pl image.Platform) {
	if pp == nil || gb.gb.Cache == "" || pp.p.sbomPath != "" || pp.p.inPlace != nil {
		return // without a cache, no binary; an SBOM in the layer is not known yet
	}
	entry, err := gb.cacheEntry(pl)
	if err != nil {
		return
	}
	f, err := os.Open(filepath.Join(entry, "bin"))
	if err != nil {
		return // not built before
	}
	id := goContentID(f)
	fi, err := f.Stat()
	if id == "" || err != nil {
		f.Close()
		return
	}
	name := recordFile(gb.gb.Cache, id, layerKey{dest: pp.p.dest}, pp.p.layer.Format)
	rec, ok := readRecord(name)
	if !ok {
		f.Close()
		return
	}
	ctx, cancel := context.WithCancel(pp.ctx)
	s := &speculation{buildID: goBuildID(f), record: name, rec: rec, cancel: cancel, started: make(chan struct{}), done: make(chan struct{})}
	pp.mu.Lock()
	pp.specs[i] = s
	pp.mu.Unlock()
	lo := pp.p.layerOptions("binary "+pl.String(), tarSize(fi.Size()))
	lo.Limiter = nil // it goes at the link's pace, and would hold a build's turn
	pp.g.Go(func() error {
		defer close(s.done)
		defer f.Close()
		s.err = s.run(ctx, pp.outs[0], io.NewSectionReader(f, 0, fi.Size()), pp.p.dest, lo)
		return nil // a speculation that fails costs an upload, not the build
	})
}

// settle ends the speculation of platform i when bin, the binary go
// build left, is not the one it read: it aborts the upload, in the
// pipeline's group. Otherwise the speculation waits for the image (see
// prepush.layer and prepush.built).
func (pp *prepush) settle(i int, bin string) {
	if pp == nil {
		return
	}
	pp.mu.Lock()
	s := pp.specs[i]
	pp.mu.Unlock()
	if s == nil {
		return
	}
	if f, err := os.Open(bin); err == nil {
		id := goBuildID(f)
		f.Close()
		if id == s.buildID {
			return
		}
	}
	pp.takeSpec(i)
	pp.g.Go(func() error {
		s.abort()
		return nil
	})
}

// fromSpec takes the speculation of platform i, if any, for the layer
// whose record is the file name ("" for none), and keeps its stream:
// the speculation's upload, or, when the speculation found the registry
// holding the recorded layer, that. It reports whether it kept one; a
// speculation it does not keep, it aborts.
func (pp *prepush) fromSpec(i int, name string) bool {
	s := pp.takeSpec(i)
	switch {
	case s == nil:
		return false
	case name != "" && s.uploading():
		// stream.finish commits it if the layer is the one it sends.
		pp.keep(i, &stream{spec: s, record: name})
		return true
	case name != "" && s.holds(name):
		s.abort()
		pp.keep(i, &stream{record: name, present: true})
		return true
	}
	s.abort()
	return false
}

// takeSpec removes the speculation of platform i and returns it, or nil.
func (pp *prepush) takeSpec(i int) *speculation {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	s := pp.specs[i]
	delete(pp.specs, i)
	return s
}

// run asks the output o for the recorded layer and, when it lacks it,
// uploads the layer of the binary bin at dest as it builds it with lo,
// and hashes bin.
func (s *speculation) run(ctx context.Context, o Output, bin *io.SectionReader, dest string, lo layer.Options) error {
	has, err := remote.HasBlob(ctx, o.Path, s.rec.descriptor(), o.Remote)
	if err != nil || has {
		s.present = has
		close(s.started)
		return fmt.Errorf("build: speculation: the registry holds the layer (%t) or cannot say (%v)", has, err)
	}
	s.up, err = remote.NewUpload(ctx, o.Path, o.Remote)
	close(s.started)
	if err != nil {
		return err
	}
	// The layer gobinary.Add builds of bin alone.
	lo.Tee = s.up
	b := layer.New(lo)
	sum := newHasher()
	if err := b.AddReader(dest, io.TeeReader(bin, sum), bin.Size(), layer.Attr{Mode: 0o755}); err != nil {
		return err
	}
	l, err := b.Build(ctx)
	if err != nil {
		return err
	}
	if l.Digest() != s.rec.Digest || l.Size() != s.rec.Size {
		l.Release()
		return fmt.Errorf("build: speculation: the layer is %s, the record says %s", l.Digest(), s.rec.Digest)
	}
	s.l, s.sum = l, sum
	return nil
}

// built returns the layer of platform i's binary that its speculation
// built, once it has, and the hashes of the binary it holds, when the
// speculation is kept (see prepush.layer) and the layer is the recorded
// one; else nil.
func (pp *prepush) built(i int) (*layer.Layer, *hasher) {
	if pp == nil {
		return nil, nil
	}
	pp.mu.Lock()
	st := pp.streams[i]
	pp.mu.Unlock()
	if st == nil || st.spec == nil {
		return nil, nil
	}
	s := st.spec
	<-s.done
	if s.err != nil {
		return nil, nil
	}
	return s.l, s.sum
}

// uploading waits until the speculation has asked the registry, and
// reports whether it uploads the layer.
func (s *speculation) uploading() bool {
	<-s.started
	return s.up != nil
}

// holds waits until the speculation has asked the registry, and reports
// whether the registry holds the layer that the record in file names.
func (s *speculation) holds(record string) bool {
	<-s.started
	return s.present && s.record == record
}

// commit ends the speculation's upload as the layer l when what it
// uploaded is l; otherwise it aborts the upload. It returns the upload's
// error, or an error that says why it was not used.
func (s *speculation) commit(l *layer.Layer) error {
	<-s.done
	if s.err == nil && (s.l.Digest() != l.Digest() || s.l.Size() != l.Size()) {
		err := fmt.Errorf("build: speculation: the layer is %s, the image's %s", s.l.Digest(), l.Digest())
		s.abort() // and drops s.l: the image has a layer of its own
		return err
	}
	if s.err != nil {
		s.abort()
		return s.err
	}
	err := s.up.Commit(s.l.Descriptor())
	s.cancel()
	return err
}

// abort stops the speculation, waits for it, and aborts its upload,
// which asks the registry to drop it.
func (s *speculation) abort() {
	s.cancel()
	<-s.done
	if s.up != nil {
		s.up.Abort()
	}
	if s.l != nil && s.err == nil {
		s.err = errSpeculationDropped
		s.l.Release() // no image took it, or the image's has another digest
	}
}

// errSpeculationDropped is a speculation's error once abort has run.
var errSpeculationDropped = errors.New("build: speculation dropped")
