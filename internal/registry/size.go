package registry

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrInvalidSize is returned, wrapped, by ParseSize. Its text has no
// "registry:" prefix: it reads as the reason a flag's value is refused.
var ErrInvalidSize = errors.New("invalid size")

// ParseSize reads a size in bytes, such as Options.MaxBlobSize, as
// "minimage registry serve --max-blob-size" takes it: a whole number,
// which KiB, MiB, GiB or TiB may follow, with or without a space
// ("1048576", "1MiB", "3 GiB"). A negative, fractional or overflowing
// size, or another unit, is an error wrapping ErrInvalidSize.
func ParseSize(s string) (int64, error) {
	num, mult := s, int64(1)
	for i, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if n, ok := strings.CutSuffix(s, unit); ok {
			num, mult = strings.TrimSpace(n), 1<<(10*(i+1))
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%w %q: want a whole number of bytes, such as 1048576 or 1MiB", ErrInvalidSize, s)
	}
	return n * mult, nil
}
