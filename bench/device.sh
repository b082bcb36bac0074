#!/bin/bash
# device.sh prepare|run: issue 27.4's measure, the gzip writer on many
# cores (BenchmarkScaling, through scaling.sh), as one short script for a
# machine that has many cores but no Go toolchain and no network, such as
# the lent device machine.
#
#   bash bench/device.sh prepare    # here, with Go: fills bench/.device
#   bash bench/device.sh run        # there, with bench/.device carried
#
# prepare builds the bench test binary (static) and gosrc.tar.gz, the
# first 100 MB of GOROOT/src as a tar (the benchmarks' "gosrc" input),
# gzipped: about 30 MB in all, under the device's 64 MiB carry. run makes
# the two inputs the issue names: "binary", 106 MB of machine code (the
# test binary's own bytes, repeated: each copy is further apart than the
# 32 KiB deflate window, so it compresses as the first does), and "gosrc",
# unpacked; it runs scaling.sh on each (COUNT, default 3) and writes the
# raw output and the speedup tables to $OUT (the device's result folder),
# or to bench/.device/out.
set -euo pipefail
cd "$(dirname "$0")"
dev=.device
case ${1:-} in
prepare)
	mkdir -p "$dev"
	CGO_ENABLED=0 go test -c -o "$dev/bench.test" .
	{ tar -C "$(go env GOROOT)/src" -cf - . 2>/dev/null || true; } | head -c $((100 << 20)) | gzip -1 >"$dev/gosrc.tar.gz"
	du -sh "$dev"
	;;
run)
	out=${OUT:-$dev/out}
	mkdir -p "$out"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	while [ "$(stat -c %s "$tmp/binary" 2>/dev/null || echo 0)" -lt $((106 << 20)) ]; do
		cat "$dev/bench.test" >>"$tmp/binary"
	done
	truncate -s $((106 << 20)) "$tmp/binary"
	gunzip -c "$dev/gosrc.tar.gz" >"$tmp/gosrc"
	{ nproc; uname -a; grep -m1 'model name' /proc/cpuinfo || true; } >"$out/machine.txt"
	for in in binary gosrc; do
		echo "== $in: $(stat -c %s "$tmp/$in") bytes"
		BENCH_TEST=$PWD/$dev/bench.test COUNT=${COUNT:-3} bash scaling.sh "$tmp/$in" >"$out/scaling-$in.txt" 2>&1 || { cat "$out/scaling-$in.txt"; exit 1; }
		tail -12 "$out/scaling-$in.txt"
	done
	;;
*)
	echo "usage: device.sh prepare|run" >&2
	exit 2
	;;
esac
