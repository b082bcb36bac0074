package tzdata

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/minimage/minimage/layer"
)

// Paths in the image.
const (
	// Dir is the directory that holds one file per zone, where glibc,
	// musl and Go look for them.
	Dir = "/usr/share/zoneinfo"
	// ZipPath is the zip file that holds the zones when Options.Zip is set.
	ZipPath = "/usr/share/zoneinfo.zip"
	// LocaltimePath is the file that names the local time zone.
	LocaltimePath = "/etc/localtime"
)

// Options choose the zones and the form of the layer. The zero value
// selects nothing, which Layer refuses with ErrNoZones: name the zones the
// programs load, or All.
type Options struct {
	// Zones holds zone names and patterns (see the package
	// documentation), such as "Europe/Paris", "America/*" or "all".
	Zones []string

	// Localtime, if set, is the exact name of the zone that /etc/localtime
	// points to (the zone Go's time.Local and C's localtime use when TZ is
	// unset). It is selected along with Zones.
	Localtime string

	// Zip writes the zones as one zip file at ZipPath, for programs
	// written in Go, instead of a tree under Dir; set Env's entry in the
	// image. /etc/localtime is then a copy of the zone, not a symlink.
	Zip bool

	// Layer holds the options the layer is built with.
	Layer layer.Options

	// Cache, if set, holds the layers Layer builds, so that equal
	// selections build once; see Layer. nil builds every time.
	Cache *layer.Cache
}

// Env returns the environment entries an image built with opts needs:
// ZONEINFO=ZipPath when opts.Zip is set, and none otherwise (every libc and
// Go find Dir without help).
func Env(opts Options) []string {
	if opts.Zip {
		return []string{"ZONEINFO=" + ZipPath}
	}
	return nil
}

// Layer returns a layer holding the zones opts selects; the package
// documentation describes its files. The caller may Release it. Errors
// wrap ErrUnknownZone, ErrNoZones or path.ErrBadPattern for a bad
// selection, or come from the layer package. It stops promptly when ctx is
// cancelled, and is safe for concurrent use.
//
// With opts.Cache set, a second call that selects the same zones (however
// Zones names them: in another order, with duplicates, by overlapping
// patterns), with equal Localtime, Zip and opts.Layer.Format, returns a
// Share of the cached layer without building again; opts.Layer.Progress is
// then called once, with the layer's sizes.
func Layer(ctx context.Context, opts Options) (*layer.Layer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tzdata: layer: %w", err)
	}
	names, err := selectNames(opts)
	if err != nil {
		return nil, err
	}
	if opts.Cache == nil {
		return build(ctx, opts, split(names))
	}
	key := cacheKey{format: opts.Layer.Format, names: sha256.Sum256([]byte(strings.Join(names, "\x00"))), localtime: opts.Localtime, zip: opts.Zip}
	l, err := opts.Cache.Layer(ctx, key, opts.Layer.Progress, func() (*layer.Layer, error) {
		return build(ctx, opts, split(names))
	})
	if err != nil && err == ctx.Err() {
		// Cancelled while another caller built the layer.
		return nil, fmt.Errorf("tzdata: layer: %w", err)
	}
	return l, err
}

// cacheKey holds what decides a layer's bytes: the layer's Format and the
// names selected, sorted, which decide the files and links. It is
// comparable.
type cacheKey struct {
	format    layer.Format
	names     [sha256.Size]byte // of selection.names joined by NUL, which no name holds
	localtime string
	zip       bool
}

func build(ctx context.Context, opts Options, sel selection) (*layer.Layer, error) {
	z := load()
	b := layer.New(opts.Layer)
	var err error
	if opts.Zip {
		err = addZip(b, z, sel, opts.Localtime)
	} else {
		err = addTree(b, z, sel, opts.Localtime)
	}
	if err != nil {
		return nil, fmt.Errorf("tzdata: %w", err)
	}
	l, err := b.Build(ctx)
	if err != nil {
		return nil, fmt.Errorf("tzdata: %w", err)
	}
	return l, nil
}

// selection is what a layer holds: zone files and the links to them.
type selection struct {
	files []string          // zones with their own bytes, sorted
	links map[string]string // link name -> zone
}

func resolve(opts Options) (selection, error) {
	names, err := selectNames(opts)
	if err != nil {
		return selection{}, err
	}
	return split(names), nil
}

// selectNames returns the names opts selects, Localtime among them,
// sorted and without duplicates.
func selectNames(opts Options) ([]string, error) {
	if len(opts.Zones) == 0 && opts.Localtime == "" {
		return nil, fmt.Errorf("tzdata: %w; set Options.Zones to the zones the image's programs load (such as \"Europe/*\"), or to \"all\", or set Options.Localtime", ErrNoZones)
	}
	patterns := opts.Zones
	if lt := opts.Localtime; lt != "" {
		if isPattern(lt) || lt == All {
			return nil, fmt.Errorf("tzdata: localtime %q: %w: give one zone name, such as \"Europe/Paris\", not a pattern", lt, ErrUnknownZone)
		}
		if _, ok := load().data[lt]; !ok {
			return nil, unknownZone("localtime", lt)
		}
		patterns = append(slices.Clip(patterns), lt)
	}
	return Select(patterns...)
}

// split sorts the names selected into zone files and links.
func split(names []string) selection {
	files := make(map[string]bool)
	sel := selection{links: make(map[string]string)}
	for _, n := range names {
		c := canonical(n)
		files[c] = true
		if c != n {
			sel.links[n] = c
		}
	}
	for f := range files {
		sel.files = append(sel.files, f)
	}
	slices.Sort(sel.files)
	return sel
}

func addTree(b *layer.Builder, z *zones, sel selection, localtime string) error {
	for _, f := range sel.files {
		if err := b.AddFile(path.Join(Dir, f), z.data[f], layer.Attr{Mode: 0o644}); err != nil {
			return err
		}
	}
	for name, target := range sel.links {
		if err := b.AddSymlink(path.Join(Dir, name), relative(name, target), layer.Attr{}); err != nil {
			return err
		}
	}
	if localtime == "" {
		return nil
	}
	return b.AddSymlink(LocaltimePath, path.Join(Dir, localtime), layer.Attr{})
}

func addZip(b *layer.Builder, z *zones, sel selection, localtime string) error {
	names := slices.Concat(sel.files, mapKeys(sel.links))
	data, err := writeZip(z, names)
	if err != nil {
		return err
	}
	if err := b.AddFile(ZipPath, data, layer.Attr{Mode: 0o644}); err != nil {
		return err
	}
	if localtime == "" {
		return nil
	}
	return b.AddFile(LocaltimePath, z.data[canonical(localtime)], layer.Attr{Mode: 0o644})
}

// relative returns the symlink target that leads from the link name to the
// zone target, both relative to Dir: "../America/New_York" for US/Eastern,
// "Etc/UTC" for UTC.
func relative(name, target string) string {
	from := strings.Split(path.Dir(name), "/")
	if from[0] == "." {
		from = nil
	}
	to := strings.Split(target, "/")
	i := 0
	for i < len(from) && i < len(to)-1 && from[i] == to[i] {
		i++
	}
	return strings.Repeat("../", len(from)-i) + strings.Join(to[i:], "/")
}

func mapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
