package layout

import "errors"

// ErrNotLayout reports a directory that holds files but no oci-layout
// file, or an oci-layout of an unsupported version. Package tarball wraps
// it too, for a file that is no image tarball. Test it with errors.Is.
var ErrNotLayout = errors.New("not an OCI image layout")
