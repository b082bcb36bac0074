package testenv

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// ProcIO returns the field name of the process's I/O accounting in
// /proc/self/io (syscw, write_bytes, cancelled_write_bytes...), and skips
// the test where there is none (systems other than Linux).
func ProcIO(tb testing.TB, name string) int64 {
	tb.Helper()
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		tb.Skip("no /proc/self/io:", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				tb.Fatalf("/proc/self/io: %s: %v", name, err)
			}
			return n
		}
	}
	tb.Fatalf("no %s in /proc/self/io:\n%s", name, data)
	return 0
}
