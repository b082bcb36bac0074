//go:build unix

package layer

import "syscall"

// oNonblock makes opening a named pipe return at once instead of waiting
// for a writer.
const oNonblock = syscall.O_NONBLOCK
