package imagetest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// Spec describes a generated fixture image. The zero value of every field
// but Seed is its default, so Spec{Seed: 1} is a valid one-layer image.
//
// Layer i (from 1) of a generated image holds, under
// /usr/share/fixture/layer<i>: Files regular files of Size bytes each,
// named file001.txt, file002.txt and so on; every fourth one is binary
// and sits in the data subdirectory as fileNNN.bin; and a symlink
// "latest" to the last file. Text files hold lines of words, binary files
// pseudo-random bytes. Files are mode 0644, directories 0755, all owned by
// 0:0 and dated the Unix epoch. The layers of different platforms hold
// different bytes, and an image's layers depend only on Seed, their
// number, Files, Size and the platform: adding a platform or a layer on
// top leaves the others as they were.
type Spec struct {
	// Seed selects the content. The same Spec gives byte-identical
	// layers and the same digests on every machine and every run. File
	// contents come from a PCG generator (math/rand/v2) seeded with Seed,
	// whose output is fixed by its algorithm, so a new Go release does not
	// change them either.
	Seed uint64

	// Layers is the number of layers; 0 means 1.
	Layers int

	// Files is the number of regular files in each layer; 0 means 1.
	Files int

	// Size is the length in bytes of every regular file; 0 means 1024.
	Size int

	// Platforms are the platforms of the images; none means
	// linux/amd64. Spec.Image takes at most one; Spec.Index makes one
	// image for each, in order.
	Platforms []image.Platform

	// Compression is the layers' compression; as in layer.Options, the
	// zero value is layer.Gzip. layer.Uncompressed is the fastest, and
	// its digests do not depend on the gzip encoder's output.
	Compression layer.Compression
}

// Defaults for the zero fields of a Spec.
const (
	defaultLayers = 1
	defaultFiles  = 1
	defaultSize   = 1024
)

// Image returns the image s describes. A Spec with more than one platform
// is an error: use Index. Layers are built in parallel, up to GOMAXPROCS
// at a time; their bytes do not depend on it.
func (s Spec) Image(ctx context.Context) (*image.Image, error) {
	s, plats, err := s.normalize()
	if err != nil {
		return nil, err
	}
	if len(plats) > 1 {
		return nil, fmt.Errorf("imagetest: spec has %d platforms; an image has one, so use Index for several", len(plats))
	}
	imgs, err := s.images(ctx, plats)
	if err != nil {
		return nil, err
	}
	return imgs[0], nil
}

// Index returns an index of the images s describes, one for each platform
// in s.Platforms, in order. Each image is the one Spec.Image gives for its
// platform alone.
func (s Spec) Index(ctx context.Context) (*image.Index, error) {
	s, plats, err := s.normalize()
	if err != nil {
		return nil, err
	}
	imgs, err := s.images(ctx, plats)
	if err != nil {
		return nil, err
	}
	ix, err := image.NewIndex(imgs...)
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	return ix, nil
}

// Image returns the image s describes, ending the test if s is invalid or
// has more than one platform. See Spec for what the image holds.
func Image(t testing.TB, s Spec) *image.Image {
	t.Helper()
	img, err := s.Image(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Index returns an index of the images s describes, one for each of
// s.Platforms, ending the test if s is invalid.
func Index(t testing.TB, s Spec) *image.Index {
	t.Helper()
	ix, err := s.Index(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// normalize fills in defaults and parses the platforms.
func (s Spec) normalize() (Spec, []image.Platform, error) {
	if s.Layers < 0 || s.Files < 0 || s.Size < 0 {
		return s, nil, fmt.Errorf("imagetest: spec has Layers %d, Files %d, Size %d; none may be negative", s.Layers, s.Files, s.Size)
	}
	if s.Layers == 0 {
		s.Layers = defaultLayers
	}
	if s.Files == 0 {
		s.Files = defaultFiles
	}
	if s.Size == 0 {
		s.Size = defaultSize
	}
	if err := (layer.Options{Format: layer.Format{Compression: s.Compression}}).Validate(); err != nil {
		return s, nil, fmt.Errorf("imagetest: spec: %w", err)
	}
	plats := slices.Clone(s.Platforms)
	if len(plats) == 0 {
		plats = []image.Platform{{}}
	}
	for i, p := range plats {
		p, err := checkPlatform(p)
		if err != nil {
			return s, nil, fmt.Errorf("imagetest: spec: %w", err)
		}
		plats[i] = p
	}
	return s, plats, nil
}

// images generates the image of each platform of a normalized Spec. The
// layers are independent of one another, so they are built at once, up
// to GOMAXPROCS at a time, and appended in order.
func (s Spec) images(ctx context.Context, plats []image.Platform) ([]*image.Image, error) {
	layers := make([]*layer.Layer, len(plats)*s.Layers)
	gens := make([]*generator, len(plats))
	for i, p := range plats {
		gens[i] = newGenerator(s, p)
	}
	err := parallel(ctx, len(layers), func(ctx context.Context, k int) error {
		l, err := gens[k/s.Layers].layer(ctx, k%s.Layers+1)
		layers[k] = l
		return err
	})
	if err != nil {
		return nil, err
	}
	imgs := make([]*image.Image, len(plats))
	for i, p := range plats {
		img := image.New(p)
		for j, l := range layers[i*s.Layers : (i+1)*s.Layers] {
			img = img.AppendLayer(l, image.History{
				CreatedBy: fmt.Sprintf("imagetest: seed %d, layer %d of %d", s.Seed, j+1, s.Layers),
			})
		}
		imgs[i] = img
	}
	return imgs, nil
}

// parallel calls f for 0 to n-1 from up to GOMAXPROCS goroutines and
// returns the first error; after it, no call starts, and the ctx given to
// the calls running is cancelled. Every goroutine has returned when
// parallel returns.
func parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err })
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("imagetest: %w", err)
	}
	return nil
}
