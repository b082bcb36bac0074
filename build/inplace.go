package build

import (
	"context"
	"errors"
	"os"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
)

// inPlace writes a build's one tarball file output as the images are
// built (tarball.File): the layers before each binary go in once they
// are there, and each binary's layer is compressed straight into its
// entry, so that no blob is copied after its compression. A nil inPlace,
// or one given up (ErrNotInPlace), leaves the output to writeOutput.
type inPlace struct {
	path string
	f    *tarball.File // nil until the first binary, and once given up
	done bool          // given up, committed or aborted
}

// maxInPlace bounds the binaries compressed in place: the entry's header
// is reserved before the compression, one USTAR block, which says sizes
// under 8 GiB; gzip and zstd never double the size of their input.
const maxInPlace = 4 << 30

// newInPlace returns the in-place writer of outs, or nil unless outs is
// one Tarball file whose path is a regular file or nothing yet.
func newInPlace(outs []Output) *inPlace {
	if len(outs) != 1 || outs[0].Format != Tarball || outs[0].Writer != nil {
		return nil
	}
	if fi, err := os.Lstat(outs[0].Path); err == nil && !fi.Mode().IsRegular() {
		return nil
	} else if err != nil && !os.IsNotExist(err) {
		return nil
	}
	return &inPlace{path: outs[0].Path}
}

// binaryOptions puts img's layers into the file and reserves the next
// entry for the binary's layer, of a tar stream of about size bytes, and
// returns lo set to build it there. Without a file it returns lo.
func (ip *inPlace) binaryOptions(ctx context.Context, img *image.Image, lo layer.Options, size int64) (layer.Options, error) {
	if ip == nil || ip.done || size >= maxInPlace {
		return lo, nil
	}
	if ip.f == nil {
		f, err := tarball.Create(ip.path)
		if err != nil {
			return lo, err
		}
		ip.f = f
	}
	for _, l := range img.Layers() {
		if err := ip.f.AddLayer(ctx, l); err != nil {
			ip.done = true
			return lo, err
		}
	}
	sink, err := ip.f.Sink()
	if err != nil {
		ip.done = true
		return lo, err
	}
	lo.Sink, lo.SpillDir, lo.SpillThreshold, lo.SpillWriteback = sink, "", 0, false
	return lo, nil
}

// built takes the binary's layer, the top one of img, built with the
// options of binaryOptions (lo), and the error of that build. If the file
// holds its blob already, the file is given up: the layers stay readable
// for writeOutput.
func (ip *inPlace) built(img *image.Image, lo layer.Options, err error) error {
	if lo.Sink == nil || err != nil {
		return err
	}
	ls := img.Layers()
	err = ip.f.EndSink(ls[len(ls)-1])
	if err != nil {
		ip.done = true
	}
	if errors.Is(err, tarball.ErrNotInPlace) {
		return nil
	}
	return err
}

// commit finishes the file of o with a, tagged tags. It reports false
// when it has no file to finish for o, which is then writeOutput's to
// write.
func (ip *inPlace) commit(ctx context.Context, o Output, a image.Artifact, tags []string) (bool, error) {
	if ip == nil || ip.done || ip.f == nil || o.Path != ip.path || o.Format != Tarball || o.Writer != nil {
		return false, nil
	}
	ip.done = true
	err := ip.f.Commit(ctx, []tarball.Named{{Artifact: a, Tags: tags}})
	if errors.Is(err, tarball.ErrNotInPlace) {
		return false, nil
	}
	return true, err
}

// abort removes the file unless it was committed.
func (ip *inPlace) abort() {
	if ip != nil && ip.f != nil {
		ip.f.Abort()
	}
}
