#!/bin/bash
# push.sh SRC NEW [OLD]: build --push of the Go program in SRC against
# build -o DIR and push DIR, with the registry behind a link throttled to
# RATE MB/s each way (default 50; bench/cmd/throttle), interleaved N times
# (default 7) after one warm-up of each (Go's build cache and minimage's
# binary cache warm). REGISTRY=minimage (default: "minimage registry
# serve", in memory) or REGISTRY=docker (Debian's docker-registry, storage
# on disk). Every push goes to a new repository, so each uploads every
# blob. NEW and OLD are minimage commands; build -o and push DIR are
# timed with NEW, build --push with each. PLATFORMS (default linux/amd64)
# may name several. Prints every run, the load, the medians and the
# ratios. With the binary cache warm, build --push starts the binary's
# layer upload from the cached binary while go build checks it
# (build/speculate.go); a commit before that starts it after go build.
#
#   go build -o /tmp/mi-new ./cmd/minimage
#   (cd "$(a worktree of the old commit)" && go build -o /tmp/mi-old ./cmd/minimage)
#   (cd bench && go run ./cmd/e2ecli -n 1)      # makes the 106 MB program's source
#   bench/push.sh /tmp/minimage-e2ecli-go1.26.8-104000000/src /tmp/mi-new /tmp/mi-old
set -euo pipefail
SRC=$1 NEW=$2 OLD=${3:-} N=${N:-7} RATE=${RATE:-50} REGISTRY=${REGISTRY:-minimage} PLATFORMS=${PLATFORMS:-linux/amd64}
BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$BENCH/lib.sh"
W=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT
(cd "$BENCH" && go build -o "$W/throttle" ./cmd/throttle)

# The registry, on a free port.
if [ "$REGISTRY" = docker ]; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	backend=127.0.0.1:$port
	start_docker_registry "$backend" "$W/registry"
	pids+=("$REGPID")
else
	"$NEW" registry serve --address 127.0.0.1:0 >"$W/registry.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$W/registry.out" ] && break; sleep 0.1; done
	backend=$(head -1 "$W/registry.out")
fi
"$W/throttle" -to "$backend" -rate "$RATE" >"$W/throttle.out" &
pids+=($!)
for _ in $(seq 100); do [ -s "$W/throttle.out" ] && break; sleep 0.1; done
REG=$(head -1 "$W/throttle.out")

cd "$SRC"
# timed NAME CMD...: appends the wall seconds of CMD to $W/NAME.txt.
timed() {
	local name=$1 s e
	shift
	s=$(date +%s.%N)
	"$@" >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
	e=$(date +%s.%N)
	echo "$e - $s" | bc >>"$W/$name.txt"
}
b=(build -q --platform "$PLATFORMS")
round() {
	local i=$1
	rm -rf "$W/oci"
	timed new-build-push "$NEW" "${b[@]}" --insecure-allow-http --push "$REG/new$i:v1" ./
	timed build-o "$NEW" "${b[@]}" -o "$W/oci" ./
	timed push-dir "$NEW" push -q --insecure-allow-http "$W/oci:latest" "$REG/sep$i:v1"
	if [ -n "$OLD" ]; then timed old-build-push "$OLD" "${b[@]}" --insecure-allow-http --push "$REG/old$i:v1" ./; fi
}
round w
rm -f "$W"/*.txt
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
for i in $(seq 1 "$N"); do round "$i"; done
med() { sort -n "$W/$1.txt" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cases="new-build-push build-o push-dir"
[ -n "$OLD" ] && cases="$cases old-build-push"
for c in $cases; do echo "$c runs: $(tr '\n' ' ' <"$W/$c.txt")"; done
bo=$(med build-o) pd=$(med push-dir) nb=$(med new-build-push)
mx=$(echo "if ($bo > $pd) $bo else $pd" | bc)
echo "load average $load0 before the runs, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') after, on $(nproc) CPUs"
echo "registry $REGISTRY, ${RATE} MB/s, $PLATFORMS: median build -o ${bo}s, push DIR ${pd}s, sum $(echo "$bo + $pd" | bc)s"
echo "build --push (new) ${nb}s = $(echo "scale=2; $nb / $mx" | bc)x the max, $(echo "scale=2; $nb / ($bo + $pd)" | bc)x the sum"
if [ -n "$OLD" ]; then
	ob=$(med old-build-push)
	echo "build --push (old) ${ob}s = $(echo "scale=2; $ob / $mx" | bc)x the max, $(echo "scale=2; $ob / ($bo + $pd)" | bc)x the sum"
fi
