//go:build !unix

package layer

import "os"

// oNonblock is 0 where named pipes do not block an open.
const oNonblock = 0

// dupFile returns a new read-only handle on the file f, opened by its
// name, which stays valid when f is closed.
func dupFile(f *os.File) (*os.File, error) { return os.Open(f.Name()) }
