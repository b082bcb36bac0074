package build

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/minimage/minimage/layer"
)

// File is a file, or a tree of them, added to the image. Set exactly one
// of Source, Data and FS. Every entry is owned by 0:0 and dated Created;
// a tree's entries are sorted like every layer's.
type File struct {
	// Path is the absolute path in the image: the file's, or the
	// directory a tree goes into.
	Path string

	// Source is a host path: a regular file, mode 0755 in the image when
	// any execute bit is set on the host and 0644 otherwise, or a
	// directory whose tree is added as FS adds one (ko's kodata).
	Source string

	// Data is the content of a regular file, mode 0644. It is not copied
	// and must not change until Run returns.
	Data []byte

	// FS is a tree to add: its directories mode 0755, its regular files
	// 0755 or 0644 by their execute bits, its symlinks as links when they
	// point inside the tree (a symlink that is absolute or leads out of
	// it is refused; FS must then implement fs.ReadLinkFS, as os.DirFS
	// does). Other file types are refused. It must stay readable until
	// Run returns.
	FS fs.FS
}

// tree returns the tree f adds and how errors name its entries, or a nil
// FS for a single file.
func (f File) tree() (fs.FS, func(p string) string) {
	switch {
	case f.FS != nil:
		return f.FS, func(p string) string { return path.Join(path.Clean("/"+f.Path), p) }
	case f.Source != "":
		if fi, err := os.Stat(f.Source); err == nil && fi.IsDir() {
			return os.DirFS(f.Source), func(p string) string { return filepath.Join(f.Source, filepath.FromSlash(p)) }
		}
	}
	return nil, nil
}

// name is how messages name f: its source, or its path in the image.
func (f File) name() string {
	if f.Source != "" {
		return f.Source
	}
	return path.Clean("/" + f.Path)
}

// checkFiles checks that each file has one source that can be read and
// goes to its own path, and that each tree holds no symlink out of it.
func (p *plan) checkFiles() error {
	seen := map[string]string{}
	for _, f := range p.r.Files {
		dst := path.Clean("/" + f.Path)
		if f.Path == "" || dst == "/" {
			return invalid("file %s: give the path it takes in the image, such as /etc/app/config.yaml", f.name())
		}
		if prev, ok := seen[dst]; ok {
			return invalid("file %s is given twice (from %s and %s); give each path once", dst, prev, f.name())
		}
		seen[dst] = f.name()
		if n := btoi(f.Source != "") + btoi(f.Data != nil) + btoi(f.FS != nil); n != 1 {
			return invalid("file %s: set exactly one of Source (a host path), Data and FS; %d are set", dst, n)
		}
		if f.Source != "" {
			fi, err := os.Stat(f.Source)
			if err != nil {
				return invalid("file %s: %v", f.Source, err)
			}
			if !fi.Mode().IsRegular() && !fi.IsDir() {
				return invalid("file %s: not a regular file or a directory", f.Source)
			}
		}
		if fsys, name := f.tree(); fsys != nil {
			if err := checkTree(fsys, name); err != nil {
				return err
			}
		}
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkTree refuses a tree that holds what a layer cannot, or a symlink
// that is absolute or leads out of the tree; name says where an entry
// is.
func checkTree(fsys fs.FS, name func(string) string) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return invalid("file %s: %v", name(p), err)
		}
		switch t := d.Type(); {
		case t.IsDir(), t.IsRegular():
			return nil
		case t&fs.ModeSymlink == 0:
			return invalid("file %s: not a regular file, directory or symlink; only those go into an image", name(p))
		}
		target, err := fs.ReadLink(fsys, p)
		if err != nil {
			return invalid("file %s: %v", name(p), err)
		}
		if path.IsAbs(target) || !fs.ValidPath(path.Join(path.Dir(p), target)) {
			return invalid("file %s: symlink to %s leads out of the tree, where the image may hold anything; copy what it points to into the tree, or make the link relative and inside it", name(p), target)
		}
		return nil
	})
}

// addFiles adds Recipe.Files to b.
func addFiles(b *layer.Builder, files []File) error {
	for _, f := range files {
		var err error
		switch fsys, _ := f.tree(); {
		case fsys != nil:
			err = b.AddFS(f.Path, fsys, layer.Attr{})
		case f.Data != nil:
			err = b.AddFile(f.Path, f.Data, layer.Attr{Mode: 0o644})
		default:
			err = b.AddHostFile(f.Path, f.Source, layer.Attr{})
		}
		if err != nil {
			return fmt.Errorf("file %s: %w", f.name(), err)
		}
	}
	return nil
}

// buildFiles builds the layer of files with lo, and the reports of its
// regular files from the read that puts each into the layer: in the
// order of files, a tree's in its walk order.
func buildFiles(ctx context.Context, lo layer.Options, files []File) (*layer.Layer, []FileReport, error) {
	fh := &fileHasher{files: files, dsts: make(map[string]int, len(files))}
	for i, f := range files {
		fh.dsts[path.Clean("/"+f.Path)] = i
	}
	lo.FileContents = fh.writer
	b := layer.New(lo)
	if err := addFiles(b, files); err != nil {
		return nil, nil, err
	}
	l, err := b.Build(ctx)
	if err != nil {
		return nil, nil, err
	}
	return l, fh.reports(), nil
}

// fileHasher hashes the regular files of the files layer as Build reads
// them (layer.Options.FileContents).
type fileHasher struct {
	files  []File
	dsts   map[string]int // path in the image of files[i] -> i
	hashed []hashedFile   // in layer order
}

type hashedFile struct {
	file int // the index in files of the File that adds it
	path string
	h    *hasher
}

// writer returns where Build writes the contents of the file at p in
// the layer: a hasher, kept with the File that put p there. That is the
// File going to p or to a directory above it (a tree); with
// Recipe.Layer.Replace, several can hold p, and the last of them in
// Files is the one whose file the layer keeps.
func (fh *fileHasher) writer(p string) io.Writer {
	i := fh.owner(p)
	if i < 0 {
		return nil // not from files: none is in their layer
	}
	h := newHasher()
	fh.hashed = append(fh.hashed, hashedFile{i, p, h})
	return h
}

// owner returns the index of the last File that holds p, or -1.
func (fh *fileHasher) owner(p string) int {
	var cands []int
	for q := p; ; q = path.Dir(q) {
		if i, ok := fh.dsts[q]; ok {
			cands = append(cands, i)
		}
		if q == "/" {
			break
		}
	}
	switch len(cands) {
	case 0:
		return -1
	case 1:
		return cands[0]
	}
	slices.Sort(cands)
	for _, i := range slices.Backward(cands) {
		fsys, _ := fh.files[i].tree()
		if fsys == nil {
			return i // a single file going to p itself
		}
		rel := strings.TrimPrefix(p, path.Clean("/"+fh.files[i].Path)+"/")
		if fi, err := fs.Stat(fsys, rel); err == nil && fi.Mode().IsRegular() {
			return i
		}
	}
	return cands[0]
}

// reports returns the reports of the files hashed, in the order of
// files: within one File, layer order is its tree's walk order.
func (fh *fileHasher) reports() []FileReport {
	slices.SortStableFunc(fh.hashed, func(a, b hashedFile) int { return cmp.Compare(a.file, b.file) })
	out := make([]FileReport, 0, len(fh.hashed))
	for _, hf := range fh.hashed {
		f := fh.files[hf.file]
		s := hf.h.sums()
		fr := FileReport{Path: hf.path, Digest: s.sha256, SHA1: s.sha1, Size: s.size}
		if dst := path.Clean("/" + f.Path); f.Source != "" {
			fr.Source = f.Source
			if hf.path != dst {
				fr.Source = filepath.Join(f.Source, filepath.FromSlash(strings.TrimPrefix(hf.path, dst+"/")))
			}
		}
		out = append(out, fr)
	}
	return out
}
