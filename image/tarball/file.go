package tarball

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/oci"
	"github.com/minimage/minimage/layer"
)

// ErrNotInPlace reports that a File cannot hold the tarball's bytes in
// place: a blob built into its Sink is one the file holds already, or the
// layers came in another order than Write puts them. The File is then
// aborted and the layers it took stay readable: write the tarball with
// WriteFile or WriteFileNamed instead.
var ErrNotInPlace = errors.New("the blobs cannot stay in place")

// File is a tarball file written in place by a caller that builds the
// layers of what it writes, so that no blob is copied after it is
// compressed: each layer goes into the file as soon as it is built
// (AddLayer), and one can be compressed straight into its place (Sink,
// EndSink). Commit then writes the rest and gives the file its name. The
// bytes are those WriteFileNamed writes for the same artifacts: the
// layers must come in the order of the tarball (see Write), image after
// image, each bottom first. A File is not safe for concurrent use.
type File struct {
	a        *oci.AtomicFile
	bw       *bufio.Writer
	tw       *tarWriter
	sinkAt   int64    // the offset of the header reserved by Sink, or -1
	sink     *os.File // the handle Sink returned, to close, or nil
	finished bool
}

// Create starts the tarball file path: a temporary file in the same
// directory, mode 0666 less the umask, that Commit renames to path and
// Abort removes. path itself is left alone until Commit.
func Create(path string) (*File, error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	a, err := oci.CreateAtomic(dir, name)
	if err != nil {
		return nil, fmt.Errorf("tarball: write: %w", err)
	}
	fw := &fileWriter{f: a.File(), bw: bufio.NewWriterSize(a.File(), 1<<20), fileErr: a.TargetError}
	f := &File{a: a, bw: fw.bw, tw: newTarWriter(fw), sinkAt: -1}
	if err := f.tw.start(); err != nil {
		return nil, f.failIO(err)
	}
	return f, nil
}

// AddLayer writes l's blob into the file now, unless the file holds it
// already.
func (f *File) AddLayer(ctx context.Context, l *layer.Layer) error {
	if err := f.usable(); err != nil {
		return err
	}
	if f.tw.has(oci.BlobPath(l.Descriptor())) {
		return nil
	}
	if err := f.tw.blobEntry(ctx, image.BlobFromLayer(l)); err != nil {
		return f.fail(err)
	}
	return nil
}

// Sink reserves the next entry of the file for a layer about to be
// built, and returns the file to build it into (layer.Options.Sink),
// which the File closes: a handle named after the tarball's path, so that
// the build's errors name it. The next call must be EndSink, with the
// layer built, or Abort.
func (f *File) Sink() (*os.File, error) {
	if err := f.usable(); err != nil {
		return nil, err
	}
	// Layers are sha256; a blob's directory entry comes before it.
	if err := f.tw.dir("blobs/sha256/"); err != nil {
		return nil, f.failIO(err)
	}
	if err := f.bw.Flush(); err != nil {
		return nil, f.failIO(err)
	}
	at, err := f.a.File().Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.a.File().Seek(at+blockSize, io.SeekStart)
	}
	if err != nil {
		return nil, f.failIO(err)
	}
	f.sinkAt = at
	// A handle named after the target: the errors of the layer's build
	// are wrapped before anyone could rename them.
	sink, own := f.a.TargetFile()
	if own {
		f.sink = sink
	}
	return sink, nil
}

// EndSink writes the header of the entry Sink reserved, for l, the layer
// built into the file Sink returned. If the file holds l's blob already,
// it fails with ErrNotInPlace and aborts the file.
func (f *File) EndSink(l *layer.Layer) error {
	if f.finished || f.sinkAt < 0 {
		return errors.New("tarball: EndSink without Sink")
	}
	at := f.sinkAt
	f.sinkAt = -1
	f.closeSink()
	p := oci.BlobPath(l.Descriptor())
	if f.tw.has(p) {
		return f.failIO(fmt.Errorf("%w: the file holds %s already", ErrNotInPlace, p))
	}
	// The blob must be where the reservation put it, and a layer of 8 GiB
	// or more, whose size USTAR cannot say, would need a larger header.
	end, err := f.a.File().Seek(0, io.SeekCurrent)
	if err != nil {
		return f.failIO(err)
	}
	if end != at+blockSize+l.Size() {
		return f.failIO(fmt.Errorf("the blob of %s is not where Sink reserved its place; build the layer with Options.Sink set to the file Sink returns", p))
	}
	hdr, err := f.tw.format(fileHeader(p, l.Size()))
	if err != nil {
		return f.failIO(err)
	}
	if len(hdr) != blockSize {
		return f.failIO(fmt.Errorf("%w: %s, %d bytes, needs a header larger than its reserved block", ErrNotInPlace, p, l.Size()))
	}
	if _, err := f.a.File().WriteAt(hdr, at); err != nil {
		return f.failIO(err)
	}
	if err := f.tw.pad(l.Size()); err != nil {
		return f.failIO(err)
	}
	f.tw.wrote(p)
	return nil
}

// Commit writes the blobs of items the file does not hold yet (configs,
// manifests, the layers not added), index.json and manifest.json, as
// WriteFileNamed does, then syncs the file and renames it to its path.
// It fails with ErrNotInPlace if the layers added are not the first ones
// of the tarball WriteFileNamed writes for items. Commit or a failure
// ends the File.
func (f *File) Commit(ctx context.Context, items []Named) error {
	if err := f.usable(); err != nil {
		return err
	}
	tags, err := parseTags(items)
	if err != nil {
		f.Abort()
		return err
	}
	if err := f.tw.finish(ctx, items, tags); err != nil {
		return f.fail(err)
	}
	if err := f.bw.Flush(); err != nil {
		return f.failIO(err)
	}
	f.finished = true
	if err := f.a.Commit(); err != nil {
		return fmt.Errorf("tarball: write: %w", err)
	}
	return nil
}

// Abort removes the temporary file, unless Commit ran. Layers built
// into its Sink stay readable.
func (f *File) Abort() {
	f.finished = true
	f.closeSink()
	f.a.Abort()
}

func (f *File) closeSink() {
	if f.sink != nil {
		f.sink.Close()
		f.sink = nil
	}
}

func (f *File) usable() error {
	switch {
	case f.finished:
		return errors.New("tarball: the File is committed or aborted")
	case f.sinkAt >= 0:
		return errors.New("tarball: a Sink is open; call EndSink first")
	}
	return nil
}

// fail aborts the file and returns err, an error of the tarWriter.
func (f *File) fail(err error) error {
	f.Abort()
	return err
}

// failIO aborts the file and returns err, an error of the file itself or
// of the File's use, prefixed, naming the target rather than the
// temporary file.
func (f *File) failIO(err error) error {
	f.Abort()
	return fmt.Errorf("tarball: write: %w", f.a.TargetError(err))
}
