package layer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/layer"
)

func TestParseTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"-1", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), ""},
		{"1969-12-31T23:59:59Z", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), ""},
		{"2024-01-02T16:04:05+01:00", time.Date(2024, 1, 2, 15, 4, 5, 0, time.UTC), ""},
		{"253402300799", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), ""},
		{"253402300800", time.Time{}, "outside the years 0 to 9999"},
		{"-9223372036854775808", time.Time{}, "outside the years 0 to 9999"},
		{"yesterday", time.Time{}, "want RFC 3339"},
	} {
		got, err := layer.ParseTime(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseTime(%q): %v, %v; want an error saying %q", c.in, got, err, c.err)
		case c.err == "" && (err != nil || !got.Equal(c.want) || got.Location() != time.UTC):
			t.Errorf("ParseTime(%q) = %v, %v; want %v in UTC", c.in, got, err, c.want)
		}
	}
}
