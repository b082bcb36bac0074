package tzdata

import (
	"bytes"
	"path"
	"slices"
	"strings"
)

// File is one regular file of the layer that Layer builds: a path in the
// image and the file's bytes.
type File struct {
	// Path is absolute and slash-separated, such as
	// "/usr/share/zoneinfo/Europe/Paris".
	Path string
	// Data is the file's content; the slice is the caller's.
	Data []byte
}

// Files returns the regular files that Layer(ctx, opts) writes, sorted by
// path, with their bytes: each selected zone under Dir, or the zip at
// ZipPath and, with Options.Localtime, the copy at LocaltimePath when
// Options.Zip is set. Symlinks and directories are left out; the files
// are what a software bill of materials lists with their hashes. It
// fails as Layer does for a bad selection, and ignores Options.Layer.
func Files(opts Options) ([]File, error) {
	sel, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	z := load()
	var files []File
	if opts.Zip {
		names := slices.Concat(sel.files, mapKeys(sel.links))
		data, err := writeZip(z, names)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: ZipPath, Data: data})
		if opts.Localtime != "" {
			files = append(files, File{Path: LocaltimePath, Data: bytes.Clone(z.data[canonical(opts.Localtime)])})
		}
	} else {
		for _, f := range sel.files {
			files = append(files, File{Path: path.Join(Dir, f), Data: bytes.Clone(z.data[f])})
		}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}
