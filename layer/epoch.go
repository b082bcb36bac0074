package layer

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// SourceDateEpoch returns the time in the SOURCE_DATE_EPOCH environment
// variable (https://reproducible-builds.org/specs/source-date-epoch/), for
// use as Options.ModTime. ok is false when the variable is unset or empty;
// a value that is not a non-negative integer number of seconds is an error.
func SourceDateEpoch() (t time.Time, ok bool, err error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Time{}, false, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, false, fmt.Errorf("layer: SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970-01-01; set it to e.g. $(git log -1 --format=%%ct)", v)
	}
	return time.Unix(sec, 0).UTC(), true, nil
}
