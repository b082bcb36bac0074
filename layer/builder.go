package layer

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"
)

// Builder collects the entries of one layer. Add methods check each path
// as it comes, so an error names the call that caused it; Build writes the
// layer. A Builder is not safe for concurrent use.
type Builder struct {
	opts    Options
	entries map[string]*entry
	content *contentStore // bytes of imported tar entries
}

type kind uint8

const (
	kindFile kind = iota
	kindDir
	kindSymlink
	kindHardlink
)

func (k kind) String() string {
	return [...]string{"file", "directory", "symlink", "hard link"}[k]
}

// entry is one path of the layer, with its resolved metadata and, for a
// file, a way to open its content.
type entry struct {
	path     string
	kind     kind
	attr     Attr
	implicit bool // a parent created because a child was added
	size     int64
	linkname string
	open     func() (io.ReadCloser, error)
	growable bool // a host file: check it did not grow while read
}

// New returns an empty Builder that builds with opts.
func New(opts Options) *Builder {
	return &Builder{opts: opts, entries: make(map[string]*entry)}
}

// AddFile adds a regular file holding data. data is not copied: it must not
// change until Build returns.
func (b *Builder) AddFile(name string, data []byte, a Attr) error {
	return b.add("add", name, &entry{
		kind: kindFile, attr: withDefaultMode(a, 0o644), size: int64(len(data)),
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	})
}

// AddReader adds a regular file whose size bytes Build reads from r. r is
// read once, during Build: a builder holding a reader can build once. Fewer
// than size bytes is an error wrapping ErrSizeMismatch; bytes past size are
// left unread.
func (b *Builder) AddReader(name string, r io.Reader, size int64, a Attr) error {
	if size < 0 {
		return fmt.Errorf("layer: add %q: negative size %d", name, size)
	}
	var once sync.Once
	return b.add("add", name, &entry{
		kind: kindFile, attr: withDefaultMode(a, 0o644), size: size,
		open: func() (rc io.ReadCloser, err error) {
			err = fmt.Errorf("the reader was consumed by an earlier Build; add it again to a new Builder")
			once.Do(func() { rc, err = io.NopCloser(r), nil })
			return rc, err
		},
	})
}

// AddHostFile adds the regular file at hostPath (symlinks followed) as
// name. Only its content is read from the host: a zero a.Mode gives 0755
// when any execute bit is set on the host file and 0644 otherwise. The file
// is opened and streamed during Build, never read whole into memory; if its
// size changed by then, Build fails with ErrSizeMismatch.
func (b *Builder) AddHostFile(name, hostPath string, a Attr) error {
	fi, err := os.Stat(hostPath)
	if err != nil {
		return fmt.Errorf("layer: add %q: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("layer: add %q: host path %s is a %s, not a regular file", name, hostPath, fileType(fi.Mode()))
	}
	return b.add("add", name, &entry{
		kind: kindFile, attr: withDefaultMode(a, execDefault(fi.Mode())), size: fi.Size(),
		open:     func() (io.ReadCloser, error) { return openHostFile(hostPath) },
		growable: true,
	})
}

// openHostFile opens a host file that was a regular file when it was
// added. It opens without blocking, so that a file replaced by a named
// pipe since cannot hang Build, and refuses what is no longer a regular
// file.
func openHostFile(hostPath string) (*os.File, error) {
	f, err := os.OpenFile(hostPath, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("host path %s was a regular file when it was added and is now a %s; only regular files are read from the host", hostPath, fileType(fi.Mode()))
	}
	return f, nil
}

// AddDir adds a directory. A directory that already exists only because a
// path beneath it was added takes a's metadata.
func (b *Builder) AddDir(name string, a Attr) error {
	return b.add("add directory", name, &entry{kind: kindDir, attr: withDefaultMode(a, 0o755)})
}

// AddSymlink adds a symbolic link to target, which is stored as given
// (absolute or relative) and need not exist.
func (b *Builder) AddSymlink(name, target string, a Attr) error {
	if target == "" || bytes.IndexByte([]byte(target), 0) >= 0 {
		return fmt.Errorf("layer: add symlink %q: %w: target %q is empty or holds a NUL byte", name, ErrInvalidPath, target)
	}
	return b.add("add symlink", name, &entry{kind: kindSymlink, attr: withDefaultMode(a, 0o777), linkname: target})
}

// AddHardlink adds a hard link to target, a regular file of the same
// layer, which may be added before or after the link. Build checks the
// target. The link takes the target's metadata; a is used only when the
// link ends up carrying the content (see the package documentation).
func (b *Builder) AddHardlink(name, target string, a Attr) error {
	t, err := cleanPath(target)
	if err != nil {
		return fmt.Errorf("layer: add hard link %q: target: %w", name, err)
	}
	return b.add("add hard link", name, &entry{kind: kindHardlink, attr: withDefaultMode(a, 0o644), linkname: t})
}

// AddFS adds every file, directory and symlink of fsys under the directory
// dir ("/" for the root). Directories get mode 0755; files get a.Mode, or
// when it is 0, 0755 if the fs.FS reports an execute bit and 0644 if not.
// Owners come from a. Symlinks need an fsys that implements fs.ReadLinkFS.
// Files are opened during Build, so fsys must stay readable until then.
func (b *Builder) AddFS(dir string, fsys fs.FS, a Attr) error {
	if fsys == nil {
		return fmt.Errorf("layer: add fs at %q: the fs.FS is nil", dir)
	}
	root := ""
	if dir != "/" {
		var err error
		if root, err = cleanPath(dir); err != nil {
			return fmt.Errorf("layer: add fs at %q: %w", dir, err)
		}
	}
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("layer: add fs at %q: %w", dir, err)
		}
		name := p
		if root != "" {
			name = root + "/" + p
		}
		if p == "." {
			if root == "" {
				return nil
			}
			name = root
		}
		dirAttr := a
		dirAttr.Mode = 0
		switch t := d.Type(); {
		case t.IsDir():
			return b.AddDir(name, dirAttr)
		case t&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(fsys, p)
			if err != nil {
				return fmt.Errorf("layer: add fs at %q: read symlink %s: %w", dir, p, err)
			}
			dirAttr.Mode = 0o777
			return b.AddSymlink(name, target, dirAttr)
		case t.IsRegular():
			fi, err := d.Info()
			if err != nil {
				return fmt.Errorf("layer: add fs at %q: %w", dir, err)
			}
			return b.add("add", name, &entry{
				kind: kindFile, attr: withDefaultMode(a, execDefault(fi.Mode())), size: fi.Size(),
				open:     func() (io.ReadCloser, error) { return fsys.Open(p) },
				growable: true,
			})
		default:
			return fmt.Errorf("layer: add fs at %q: %s is a %s; only files, directories and symlinks can go into a layer", dir, p, fileType(t))
		}
	})
}

// add cleans name, creates missing parents and stores e, enforcing the
// duplicate and not-a-directory rules.
func (b *Builder) add(op, name string, e *entry) error {
	p, err := cleanPath(name)
	if err != nil {
		return fmt.Errorf("layer: %s %q: %w", op, name, err)
	}
	e.path = p
	if e.attr.UID < 0 || e.attr.GID < 0 {
		return fmt.Errorf("layer: %s %q: %w: uid %d, gid %d; ids are 0 (root) or more", op, name, ErrInvalidAttr, e.attr.UID, e.attr.GID)
	}
	if err := checkTime(e.attr.ModTime); err != nil {
		return fmt.Errorf("layer: %s %q: %w: ModTime %w", op, name, ErrInvalidAttr, err)
	}
	var missing []string
	for q := parentOf(p); q != ""; q = parentOf(q) {
		parent, ok := b.entries[q]
		if !ok {
			missing = append(missing, q)
			continue
		}
		if parent.kind != kindDir {
			return fmt.Errorf("layer: %s %q: %w: %q is a %s; remove it or choose another path", op, name, ErrNotDir, "/"+q, parent.kind)
		}
	}
	if old, ok := b.entries[p]; ok {
		switch {
		case old.implicit && e.kind == kindDir:
			// Explicit metadata for a directory implied by its children.
		case !b.opts.Replace:
			return fmt.Errorf("layer: %s %q: %w: a %s is already there; set Options.Replace to overwrite it", op, name, ErrDuplicate, old.kind)
		case old.kind == kindDir && e.kind != kindDir && b.hasChildren(p):
			return fmt.Errorf("layer: %s %q: %w: a directory holding other entries is there, and a %s cannot replace it", op, name, ErrDuplicate, e.kind)
		}
	}
	for _, q := range missing {
		b.entries[q] = &entry{path: q, kind: kindDir, attr: Attr{Mode: 0o755}, implicit: true}
	}
	b.entries[p] = e
	return nil
}

func (b *Builder) hasChildren(dir string) bool {
	for p := range b.entries {
		if len(p) > len(dir) && p[len(dir)] == '/' && p[:len(dir)] == dir {
			return true
		}
	}
	return false
}

// sorted returns the entries in layer order, with hard link groups turned
// so that the first path of each group carries the content.
func (b *Builder) sorted() ([]*entry, error) {
	es := make([]*entry, 0, len(b.entries))
	for _, e := range b.entries {
		c := *e
		es = append(es, &c)
	}
	slices.SortFunc(es, func(x, y *entry) int { return comparePaths(x.path, y.path) })

	byPath := make(map[string]*entry, len(es))
	for _, e := range es {
		byPath[e.path] = e
	}
	leaders := make(map[*entry][]*entry) // file entry -> links to it
	for _, e := range es {
		if e.kind != kindHardlink {
			continue
		}
		t := byPath[e.linkname]
		for seen := 0; t != nil && t.kind == kindHardlink && seen < len(es); seen++ {
			t = byPath[t.linkname]
		}
		if t == nil || t.kind != kindFile {
			what := "is not in the layer"
			if t != nil {
				what = "is a " + t.kind.String()
			}
			return nil, fmt.Errorf("layer: hard link %q: %w: %q %s; a hard link must point to a regular file of the same layer (add the file first, or use a symlink)", "/"+e.path, ErrLinkTarget, "/"+e.linkname, what)
		}
		leaders[t] = append(leaders[t], e)
	}
	for file, links := range leaders {
		first := file
		for _, l := range links {
			if comparePaths(l.path, first.path) < 0 {
				first = l
			}
		}
		if first != file {
			// Swap roles: the first path in layer order carries the
			// content, so the link target is always written before the link.
			first.kind, first.size, first.open, first.growable, first.attr = kindFile, file.size, file.open, file.growable, file.attr
			file.kind, file.open, file.size = kindHardlink, nil, 0
		}
		for _, e := range append(links, file) {
			if e != first {
				e.linkname, e.attr = first.path, first.attr
			}
		}
	}
	return es, nil
}

func withDefaultMode(a Attr, def fs.FileMode) Attr {
	a.Mode &= fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
	if a.Mode == 0 {
		a.Mode = def
	}
	return a
}

func execDefault(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func fileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	case m.IsRegular():
		return "regular file"
	}
	return "special file"
}
