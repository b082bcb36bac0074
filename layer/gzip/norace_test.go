//go:build !race

package gzip

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
