package layout

import (
	"os"
	"path/filepath"
)

// SpillDir returns the directory to give layer.Options.SpillDir when the
// layers built are to be written to the layout at dir, so that Write links
// their spilled blobs into place instead of copying them (see
// layer.Layer.Link): every byte of a large layer is then written once.
// Set layer.Options.SpillWriteback too, so that the link finds the blob
// mostly on the disk already.
// It is dir's blobs/sha256 directory when dir is a layout already, dir
// itself when it is a directory that can hold files without a name, and
// otherwise the nearest existing directory above dir, which a new dir will
// share a file system with. Nothing is created, and the spill files have no
// name there. Where layers cannot be linked (systems other than Linux) it
// returns "", the system's temporary directory.
//
// The layers stay correct wherever they spill: on another file system
// Write copies them.
func SpillDir(dir string) string {
	if !canLink {
		return ""
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	if st, err := os.Stat(filepath.Join(abs, "oci-layout")); err == nil && st.Mode().IsRegular() {
		blobs := filepath.Join(abs, "blobs", "sha256")
		if st, err := os.Stat(blobs); err == nil && st.IsDir() {
			return blobs
		}
		return abs
	}
	// Not a layout yet. A named temporary file in dir, even for a moment,
	// would make an empty dir look foreign to Write, so dir itself only
	// where spill files get no name at all (dir may be a mount point, as
	// a container's output volume is).
	if unnamedFiles(abs) {
		return abs
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if p == filepath.Dir(p) {
			return ""
		}
	}
}
