package layout

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dirFS is a layout directory as an fs.FS that opens regular files only:
// a FIFO, device or socket where a blob or index.json should be is an
// error, not a read that hangs or never ends. Symbolic links are
// followed, as other OCI tools follow them.
type dirFS string

func (d dirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	p := filepath.Join(string(d), filepath.FromSlash(name))
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("not a regular file (%s)", st.Mode().Type())}
	}
	f, err := openNonblock(p)
	if err != nil {
		return nil, err
	}
	// The file may have been swapped since the Stat above.
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("not a regular file")}
	}
	return f, nil
}
