package tzdata

import "errors"

// Sentinel errors, to be tested with errors.Is. The errors this package
// returns wrap them with the name or pattern at fault.
var (
	// ErrUnknownZone reports a zone name that the embedded release does
	// not hold, or a pattern that matches no zone. The error suggests the
	// closest names.
	ErrUnknownZone = errors.New("unknown time zone")

	// ErrNoZones reports Options that select no zone at all.
	ErrNoZones = errors.New("no time zones selected")
)
