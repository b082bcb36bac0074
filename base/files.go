package base

import (
	"context"
	"fmt"
	"io/fs"
	"slices"

	"github.com/minimage/minimage/layer"
)

// File is one entry of the base layer.
type File struct {
	// Path is the absolute path in the image.
	Path string
	// Mode holds the permission bits, fs.ModeSticky where set, and
	// fs.ModeDir for a directory.
	Mode fs.FileMode
	// UID and GID own the entry.
	UID, GID int
	// Data is a regular file's content; nil for a directory.
	Data []byte
}

// osRelease identifies the image's system for tools that read
// /etc/os-release (scanners, sbom generators). There is no version: the
// files do not change from one minimage release to the next, and a version
// here would change every image's digest when one did.
const osRelease = `PRETTY_NAME="minimage"
NAME="minimage"
ID=minimage
HOME_URL="https://github.com/minimage/minimage"
`

// nsswitch sets the order of name lookups. Go's resolver reads only the
// hosts line; the others say the same for glibc programs.
const nsswitch = `passwd: files
group: files
hosts: files dns
`

var files = []File{
	{Path: "/etc/group", Mode: 0o644, Data: []byte(group)},
	{Path: "/etc/nsswitch.conf", Mode: 0o644, Data: []byte(nsswitch)},
	{Path: "/etc/os-release", Mode: 0o644, Data: []byte(osRelease)},
	{Path: "/etc/passwd", Mode: 0o644, Data: []byte(passwd)},
	{Path: "/home", Mode: fs.ModeDir | 0o755},
	{Path: NonrootHome, Mode: fs.ModeDir | 0o700, UID: NonrootUID, GID: NonrootGID},
	{Path: "/root", Mode: fs.ModeDir | 0o700},
	{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
}

// Files returns the entries of the base layer, sorted by path, for
// documentation and tests. The result is a copy the caller may change.
// Parent directories not listed (/etc) are 0755, owned by 0:0.
func Files() []File {
	out := slices.Clone(files)
	for i := range out {
		out[i].Data = slices.Clone(out[i].Data)
	}
	return out
}

// Options control the base layer. The zero value builds with layer's
// defaults, and caches nothing.
type Options struct {
	// Layer holds the options the layer is built with.
	Layer layer.Options

	// Cache, if set, holds the layers built, by Layer.Format (the files
	// are fixed): a second call with an equal Format and the same Cache
	// returns a Share of the cached layer without building again. nil
	// builds every time.
	Cache *layer.Cache
}

// Layer returns a layer holding Files; the caller may Release it. With
// opts.Cache set, a cached layer's opts.Layer.Progress is called once,
// with the layer's sizes. It is safe for concurrent use. Errors come from
// the layer package; it stops promptly when ctx is cancelled.
func Layer(ctx context.Context, opts Options) (*layer.Layer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("base: layer: %w", err)
	}
	if opts.Cache == nil {
		return build(ctx, opts.Layer)
	}
	l, err := opts.Cache.Layer(ctx, cacheKey{opts.Layer.Format}, opts.Layer.Progress, func() (*layer.Layer, error) {
		return build(ctx, opts.Layer)
	})
	if err != nil && err == ctx.Err() {
		// Cancelled while another caller built the layer.
		return nil, fmt.Errorf("base: layer: %w", err)
	}
	return l, err
}

// cacheKey holds what decides the layer's bytes: its Format, the files
// being fixed.
type cacheKey struct{ format layer.Format }

func build(ctx context.Context, lo layer.Options) (*layer.Layer, error) {
	b := layer.New(lo)
	for _, f := range files {
		a := layer.Attr{Mode: f.Mode &^ fs.ModeDir, UID: f.UID, GID: f.GID}
		var err error
		if f.Mode.IsDir() {
			err = b.AddDir(f.Path, a)
		} else {
			err = b.AddFile(f.Path, f.Data, a)
		}
		if err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
	}
	l, err := b.Build(ctx)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	return l, nil
}
