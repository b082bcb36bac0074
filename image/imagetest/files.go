package imagetest

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// Layer describes one layer by its paths. Each key is a path, with or
// without a leading "/"; each value is the content of a regular file
// there, or one of these special values:
//
//   - [Whiteout] deletes the path, and everything beneath it, that the
//     layers below hold: the layer gets the OCI whiteout file
//     ".wh.<name>" beside it.
//   - [Opaque] makes the path a directory that hides everything the
//     layers below hold in it (the OCI opaque whiteout
//     "<dir>/.wh..wh..opq"); what this layer puts in it stays.
//   - [Symlink] and [Hardlink] make links.
//
// A key that ends in "/" is a directory; its value must be "" or Opaque.
// Keys may also spell whiteout files out (".wh.name"), as a layer tar
// holds them. Parent directories are created as needed. Files are mode
// 0644, directories 0755, links 0777, all owned by 0:0 and dated the Unix
// epoch (or layer.Options.ModTime); [Layer.With] gives entries a mode,
// owner or time of their own.
type Layer map[string]string

// Attrs gives entries of a Layer attributes of their own, by the Layer's
// key (spelled as in the Layer, "/data/" for a directory). A zero Mode
// keeps the entry type's default, a zero ModTime the layer's time. Of
// Opaque, the attributes apply to the directory; of Whiteout, to the
// whiteout file; a hard link has its target's (see layer.Attr).
type Attrs map[string]layer.Attr

// With returns l with the attributes a, for FromLayers, Build and
// AssertFiles. Neither map is copied until the layer is built.
//
//	imagetest.Layer{
//		"/etc/shadow":    "root:*:0:0:99999:7:::\n",
//		"/home/nonroot/": "",
//	}.With(imagetest.Attrs{
//		"/etc/shadow":    {Mode: 0o640, GID: 42},
//		"/home/nonroot/": {Mode: 0o700, UID: 65532, GID: 65532},
//	})
func (l Layer) With(a Attrs) AttrLayer { return AttrLayer{Layer: l, Attrs: a} }

// AttrLayer is a Layer whose entries named in Attrs have the attributes
// given there. Every key of Attrs must be a key of Layer.
type AttrLayer struct {
	Layer Layer
	Attrs Attrs
}

// LayerSpec is what FromLayers and AssertFiles take for one layer: a
// Layer, or an AttrLayer. No other type implements it.
type LayerSpec interface {
	Build(ctx context.Context, opts layer.Options) (*layer.Layer, error)
	entries() (Layer, Attrs)
}

func (l Layer) entries() (Layer, Attrs)     { return l, nil }
func (l AttrLayer) entries() (Layer, Attrs) { return l.Layer, l.Attrs }

// Special values of a Layer. Each starts with a NUL byte, which no text
// file a test names is expected to hold.
const (
	// Whiteout, as a Layer value, deletes the path from the layers below.
	Whiteout = "\x00imagetest:whiteout"
	// Opaque, as a Layer value, makes the path an opaque directory.
	Opaque = "\x00imagetest:opaque"
)

// Prefixes of the Layer values that Symlink and Hardlink return.
const (
	symlinkTo  = "\x00imagetest:symlink:"
	hardlinkTo = "\x00imagetest:hardlink:"
)

// Symlink returns the Layer value of a symbolic link to target, which is
// stored as given (absolute or relative) and need not exist.
func Symlink(target string) string { return symlinkTo + target }

// Hardlink returns the Layer value of a hard link to target, a regular
// file of the same layer.
func Hardlink(target string) string { return hardlinkTo + target }

// Whiteout file names, from the OCI image spec's layer changesets.
const (
	whiteoutPrefix = ".wh."
	opaqueName     = ".wh..wh..opq"
)

// Build returns the layer that l describes, built with opts. The values
// of l are copied; l may change once Build returns. It is safe to call
// concurrently on the same Layer as long as no one changes it.
func (l Layer) Build(ctx context.Context, opts layer.Options) (*layer.Layer, error) {
	return AttrLayer{Layer: l}.Build(ctx, opts)
}

// Build returns the layer that l describes, built with opts, as
// Layer.Build does. An Attrs key that the Layer lacks is an error.
func (l AttrLayer) Build(ctx context.Context, opts layer.Options) (*layer.Layer, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	b := layer.New(opts)
	for _, key := range slices.Sorted(maps.Keys(l.Layer)) {
		if err := addEntry(b, key, l.Layer[key], l.Attrs[key]); err != nil {
			return nil, err
		}
	}
	built, err := b.Build(ctx)
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	return built, nil
}

// check refuses attributes for a path the layer does not hold, which
// would otherwise be dropped without a word.
func (l AttrLayer) check() error {
	for _, key := range slices.Sorted(maps.Keys(l.Attrs)) {
		if _, ok := l.Layer[key]; !ok {
			return fmt.Errorf("imagetest: attributes for %q, which the layer does not hold; spell the key as the Layer does", key)
		}
	}
	return nil
}

// addEntry adds the entry key: value of a Layer to b, with attributes a.
func addEntry(b *layer.Builder, key, value string, a layer.Attr) error {
	name := strings.TrimSuffix(key, "/")
	isDir := name != key
	// Cleaned without a leading "/", so that package layer sees and
	// rejects a ".." that climbs above the root.
	clean := path.Clean(name)
	if clean == "/" || clean == "." {
		return fmt.Errorf("imagetest: layer path %q names the root; give a path such as \"/etc/os-release\"", key)
	}
	var err error
	switch {
	case value == Whiteout:
		dir, base := path.Split(clean)
		err = b.AddFile(dir+whiteoutPrefix+base, nil, a)
	case value == Opaque:
		if err = b.AddDir(clean, a); err == nil {
			err = b.AddFile(clean+"/"+opaqueName, nil, layer.Attr{})
		}
	case isDir && value != "":
		return fmt.Errorf("imagetest: layer path %q ends in \"/\", a directory, but has content; drop the slash for a file", key)
	case isDir:
		err = b.AddDir(clean, a)
	case strings.HasPrefix(value, symlinkTo):
		err = b.AddSymlink(clean, strings.TrimPrefix(value, symlinkTo), a)
	case strings.HasPrefix(value, hardlinkTo):
		err = b.AddHardlink(clean, strings.TrimPrefix(value, hardlinkTo), a)
	default:
		err = b.AddFile(clean, []byte(value), a)
	}
	if err != nil {
		return fmt.Errorf("imagetest: %w", err)
	}
	return nil
}

// FromLayers returns an image for platform p (the zero Platform means
// linux/amd64) made of one gzip layer for each of layers, a Layer or an
// AttrLayer, bottom first, ending the test on a bad platform or path. See
// Layer for what a layer may hold.
func FromLayers(t testing.TB, p image.Platform, layers ...LayerSpec) *image.Image {
	t.Helper()
	img, err := fromLayers(t.Context(), p, len(layers), func(i int) (*layer.Layer, error) {
		return layers[i].Build(t.Context(), layer.Options{})
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// FromFS returns an image for platform p (the zero Platform means
// linux/amd64) made of one gzip layer for each file system, bottom first, holding its
// files, directories and symlinks at the root, ending the test on error.
// Modes and owners are as layer.Builder.AddFS gives them: 0755 for a file
// with an execute bit, 0644 for others, 0:0. Whiteout files in a file
// system (".wh.name", ".wh..wh..opq") go into the layer as they are, so
// an fstest.MapFS can delete what lower layers hold. Each fsys must
// implement fs.ReadLinkFS to hold symlinks, as fstest.MapFS does.
func FromFS(t testing.TB, p image.Platform, layers ...fs.FS) *image.Image {
	t.Helper()
	img, err := fromLayers(t.Context(), p, len(layers), func(i int) (*layer.Layer, error) {
		if layers[i] == nil {
			return nil, fmt.Errorf("imagetest: layer %d: the fs.FS is nil", i+1)
		}
		b := layer.New(layer.Options{})
		if err := b.AddFS("/", layers[i], layer.Attr{}); err != nil {
			return nil, fmt.Errorf("imagetest: layer %d: %w", i+1, err)
		}
		l, err := b.Build(t.Context())
		if err != nil {
			return nil, fmt.Errorf("imagetest: layer %d: %w", i+1, err)
		}
		return l, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func fromLayers(ctx context.Context, p image.Platform, n int, build func(int) (*layer.Layer, error)) (*image.Image, error) {
	p, err := checkPlatform(p)
	if err != nil {
		return nil, err
	}
	img := image.New(p)
	for i := range n {
		l, err := build(i)
		if err != nil {
			return nil, err
		}
		img = img.AppendLayer(l, image.History{CreatedBy: fmt.Sprintf("imagetest: layer %d of %d", i+1, n)})
	}
	return img, nil
}

// checkPlatform returns p, or linux/amd64 for the zero Platform, and
// refuses one that image.ParsePlatform would.
func checkPlatform(p image.Platform) (image.Platform, error) {
	if p == (image.Platform{}) {
		return image.Platform{OS: "linux", Architecture: "amd64"}, nil
	}
	if _, err := image.ParsePlatform(p.String()); err != nil {
		return p, fmt.Errorf("imagetest: %w", err)
	}
	return p, nil
}
