package layer

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// The range of times a layer and an image config can carry: encoding/json
// refuses years past 9999 and before 0, which RFC 3339 cannot write.
var (
	minTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// SourceDateEpoch returns the time in the SOURCE_DATE_EPOCH environment
// variable (https://reproducible-builds.org/specs/source-date-epoch/), for
// use as Format.ModTime. ok is false when the variable is unset or empty.
// The value is a whole number of seconds since 1970-01-01 UTC, as
// `date +%s` prints it; a negative number is a time before 1970, like any
// other. A value that is not an integer, or a time outside the years 0 to
// 9999, is an error.
func SourceDateEpoch() (t time.Time, ok bool, err error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Time{}, false, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("layer: SOURCE_DATE_EPOCH=%q is not a whole number of seconds since 1970-01-01; set it to e.g. $(git log -1 --format=%%ct)", v)
	}
	// Compare seconds, not times: time.Unix wraps round for the extremes
	// of int64.
	if sec < minTime.Unix() || sec > maxTime.Unix() {
		return time.Time{}, false, fmt.Errorf("layer: SOURCE_DATE_EPOCH=%q is outside the years 0 to 9999, which an image can record; set it to e.g. $(git log -1 --format=%%ct)", v)
	}
	return time.Unix(sec, 0).UTC(), true, nil
}

// checkTime reports a time that falls outside the years 0 to 9999 once
// truncated to whole seconds in UTC.
func checkTime(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if u := t.Truncate(time.Second).UTC(); u.Before(minTime) || u.After(maxTime) {
		return fmt.Errorf("%s is outside the years 0 to 9999, which an image config's JSON can hold; use a time in that range", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// ParseTime reads a time as a command line gives it: RFC 3339
// (2024-01-02T15:04:05Z) or whole seconds since 1970-01-01 UTC, negative
// ones before it ("-1" and "1969-12-31T23:59:59Z" are the same time). The
// time must lie in the years 0 to 9999, which an image config can hold.
// The result is in UTC.
func ParseTime(v string) (time.Time, error) {
	if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
		// Compare seconds: time.Unix wraps round for the extremes of int64.
		if sec < minTime.Unix() || sec > maxTime.Unix() {
			return time.Time{}, fmt.Errorf("layer: time %q: outside the years 0 to 9999, which an image config can hold; give seconds since 1970, such as $(git log -1 --format=%%ct)", v)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("layer: time %q: want RFC 3339 (2024-01-02T15:04:05Z) or Unix seconds (1704207845)", v)
	}
	return t.UTC(), nil
}
