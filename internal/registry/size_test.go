package registry

import (
	"errors"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1048576", 1 << 20, true}, {"1MiB", 1 << 20, true}, {"3 GiB", 3 << 30, true}, {"2KiB", 2048, true},
		{"8388607TiB", 8388607 << 40, true},
		{"", 0, false}, {"-1", 0, false}, {"1MB", 0, false}, {"9000000TiB", 0, false}, {"1.5GiB", 0, false}, {"KiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidSize) {
			t.Errorf("ParseSize(%q): %v, want ErrInvalidSize", tt.in, err)
		}
	}
}
