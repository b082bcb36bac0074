#!/bin/bash
# overlap.sh OLD NEW: wall time of a two-platform build of examples/hello
# (linux/amd64 + linux/arm64, zones Europe/Paris, to a new OCI layout) with
# two minimage binaries, interleaved N times (default 5) in alternating
# order after one warm-up each; prints every run, the medians and NEW/OLD.
# NEW_FLAGS adds build flags to NEW's runs, such as --bin-cache= to leave
# out the binary cache and measure the overlap alone.
#
#   (cd "$(git worktree or clone of the old commit)" && go build -o /tmp/mi-old ./cmd/minimage)
#   go build -o /tmp/mi-new ./cmd/minimage
#   N=9 bench/overlap.sh /tmp/mi-old /tmp/mi-new
set -euo pipefail
OLD=$1 NEW=$2 N=${N:-5}
HELLO=$(cd "$(dirname "$0")/../examples/hello" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
run() {
	local s e flags=""
	[ "$1" = "$NEW" ] && flags=${NEW_FLAGS:-}
	s=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$1" build -q $flags --platform linux/amd64,linux/arm64 --zones Europe/Paris -o "$2" "$HELLO" >/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}
run "$OLD" "$W/warm-old" >/dev/null
run "$NEW" "$W/warm-new" >/dev/null
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 1 ]; then
		a=$(run "$OLD" "$W/old$i"); b=$(run "$NEW" "$W/new$i")
	else
		b=$(run "$NEW" "$W/new$i"); a=$(run "$OLD" "$W/old$i")
	fi
	echo "round $i old $a new $b"
	echo "$a" >>"$W/old.txt"; echo "$b" >>"$W/new.txt"
done
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m=$(med "$W/old.txt") b=$(med "$W/new.txt")
echo "median old ${m}s new ${b}s ratio $(echo "scale=3; $b / $m" | bc)"
