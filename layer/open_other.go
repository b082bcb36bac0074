//go:build !unix

package layer

// oNonblock is 0 where named pipes do not block an open.
const oNonblock = 0
