#!/bin/bash
# scaling.sh [FILE]: the parallel gzip writer's throughput at 1, 2, 4, 8
# and 16 cores (as many as the machine has) against pgzip, level 2, on
# FILE (default: the benchmarks' 33 MB binary input, too few blocks to
# keep 16 cores busy: give a larger one, such as the 106 MB binary that
# go run ./cmd/e2ecli builds under $TMPDIR); prints each median and its
# speedup over one core. Needs benchstat
# (go install golang.org/x/perf/cmd/benchstat@latest) for the table; the
# speedups come from the raw output. COUNT sets -count (default 6);
# BENCH_TEST, a test binary of this package built beforehand, runs in
# place of go test (see device.sh).
#
#   cd bench && bash scaling.sh
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ -n "${BENCH_TEST:-}" ]; then
	# A test binary built beforehand (device.sh): no Go needed here.
	"$BENCH_TEST" -test.run '^$' -test.bench '^BenchmarkScaling$' -test.count "${COUNT:-6}" -test.timeout 60m ${1:+-scaling.in="$(realpath "$1")"} | tee "$out"
else
	go test -run '^$' -bench '^BenchmarkScaling$' -count "${COUNT:-6}" -timeout 60m ${1:+-args -scaling.in="$(realpath "$1")"} | tee "$out"
fi
if command -v benchstat >/dev/null; then
	benchstat -col /impl "$out" || true
fi
# Median MB/s per case, and the speedup over procs=1 of the same impl.
printf '%-10s %6s %10s %8s\n' impl procs MB/s speedup
for impl in minimage pgzip; do
	base=""
	for procs in 1 2 4 8 16; do
		med=$({ grep "^BenchmarkScaling/procs=$procs/impl=$impl-" "$out" || true; } |
			awk '{for (i = 2; i < NF; i++) if ($(i+1) == "MB/s") print $i}' |
			sort -n | awk '{a[NR] = $1} END {if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
		[ -n "$med" ] || continue
		[ -n "$base" ] || base=$med
		awk -v i="$impl" -v p="$procs" -v m="$med" -v b="$base" 'BEGIN {printf "%-10s %6d %10.0f %7.2fx\n", i, p, m, m / b}'
	done
done
