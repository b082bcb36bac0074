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
	"time"

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
// epoch (or layer.Options.ModTime); With gives an entry a mode, owner or
// time of its own.
type Layer map[string]string

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
	// Entries with times of their own are dated after the build, in the
	// uncompressed tar, which is then compressed as opts say.
	times := map[string]time.Time{}
	bopts := opts
	for _, v := range l {
		if a, _, _, err := splitAttr(v); err == nil && !a.ModTime.IsZero() {
			bopts.Compression, bopts.Level, bopts.BlockSize, bopts.Blocks, bopts.Progress = layer.Uncompressed, 0, 0, 0, nil
			break
		}
	}
	b := layer.New(bopts)
	for _, key := range slices.Sorted(maps.Keys(l)) {
		name, t, err := addEntry(b, key, l[key])
		if err != nil {
			return nil, err
		}
		if !t.IsZero() {
			times[name] = t
		}
	}
	built, err := b.Build(ctx)
	if err == nil && len(times) > 0 {
		built, err = setTimes(ctx, built, times, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	return built, nil
}

// addEntry adds the entry of a Layer to b, and returns its name in the
// tar (without a trailing "/") and the time With gave it.
func addEntry(b *layer.Builder, key, value string) (string, time.Time, error) {
	attr, value, _, err := splitAttr(value)
	if err != nil {
		return "", time.Time{}, err
	}
	a := attr.layerAttr()
	name := strings.TrimSuffix(key, "/")
	isDir := name != key
	// Cleaned without a leading "/", so that package layer sees and
	// rejects a ".." that climbs above the root.
	clean := path.Clean(name)
	if clean == "/" || clean == "." {
		return "", time.Time{}, fmt.Errorf("imagetest: layer path %q names the root; give a path such as \"/etc/os-release\"", key)
	}
	switch {
	case value == Whiteout:
		dir, base := path.Split(clean)
		clean = dir + whiteoutPrefix + base
		err = b.AddFile(clean, nil, a)
	case value == Opaque:
		if err = b.AddDir(clean, a); err == nil {
			err = b.AddFile(clean+"/"+opaqueName, nil, layer.Attr{})
		}
	case isDir && value != "":
		return "", time.Time{}, fmt.Errorf("imagetest: layer path %q ends in \"/\", a directory, but has content; drop the slash for a file", key)
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
		return "", time.Time{}, fmt.Errorf("imagetest: %w", err)
	}
	return strings.TrimPrefix(clean, "/"), attr.ModTime, nil
}

// FromLayers returns an image for platform ("os/arch", or "" for
// linux/amd64) made of one gzip layer for each of layers, bottom first,
// ending the test on a bad platform or path. See Layer for what a layer
// may hold.
func FromLayers(t testing.TB, platform string, layers ...Layer) *image.Image {
	t.Helper()
	img, err := fromLayers(t.Context(), platform, len(layers), func(i int) (*layer.Layer, error) {
		return layers[i].Build(t.Context(), layer.Options{})
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// FromFS returns an image for platform ("os/arch", or "" for linux/amd64)
// made of one gzip layer for each file system, bottom first, holding its
// files, directories and symlinks at the root, ending the test on error.
// Modes and owners are as layer.Builder.AddFS gives them: 0755 for a file
// with an execute bit, 0644 for others, 0:0. Whiteout files in a file
// system (".wh.name", ".wh..wh..opq") go into the layer as they are, so
// an fstest.MapFS can delete what lower layers hold. Each fsys must
// implement fs.ReadLinkFS to hold symlinks, as fstest.MapFS does.
func FromFS(t testing.TB, platform string, layers ...fs.FS) *image.Image {
	t.Helper()
	img, err := fromLayers(t.Context(), platform, len(layers), func(i int) (*layer.Layer, error) {
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

func fromLayers(ctx context.Context, platform string, n int, build func(int) (*layer.Layer, error)) (*image.Image, error) {
	if platform == "" {
		platform = "linux/amd64"
	}
	p, err := image.ParsePlatform(platform)
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
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
