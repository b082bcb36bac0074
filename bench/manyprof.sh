#!/bin/bash
# manyprof.sh MINIMAGE [N]: where one `minimage build --push` per service
# (many.sh's loop) spends its time past the go build floor, for a module of
# N services (default 20; bench/cmd/manysvc), against a docker-registry on
# 127.0.0.1:PORT (default 38520, plain HTTP). Go's build cache is warm
# (one warm-up of each case); the binary cache is off (--bin-cache=). Runs,
# ROUNDS times (default 7) in rotating order, and prints the medians of
# wall and CPU seconds (the process and its children) of
#
#   floor/N     go build -trimpath -o DIR/ ./cmd/... of all N, divided by N
#   go1         go build -trimpath -o NEW ./cmd/svc01, as minimage runs it
#   mi          minimage build --push REG/rR/svc01 ./cmd/svc01
#   mi-bin      the same from go1's binary (TARGET a built binary): no go build
#   mi-bin-bare the same with --sbom=none --provenance=none
#   mi-bin-dir  minimage build -o NEW_DIR of the binary: no registry
#
# then a CPU profile of the whole loop of N (perf record -g, every process
# it starts), by command and, within minimage, by function; and the go
# command's own trace (go build -debug-trace) of one service's go build.
#
#   go build -o /tmp/mi ./cmd/minimage
#   bench/manyprof.sh /tmp/mi 2>&1 | tee /tmp/manyprof.txt
#
# Needs go, docker-registry, curl, /usr/bin/time, perf (its part is skipped
# without it) and python3 (for the go trace; skipped without it).
set -euo pipefail
if [ $# -lt 1 ]; then
	echo "usage: $0 MINIMAGE [N]" >&2
	exit 2
fi
MI=$(realpath "$1") N=${2:-20}
ROUNDS=${ROUNDS:-7} PORT=${PORT:-38520}
REG=127.0.0.1:$PORT
BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$BENCH/lib.sh"
W=$(mktemp -d /tmp/manyprof.XXXXXX)
REGPID=
trap '[ -z "$REGPID" ] || kill "$REGPID" 2>/dev/null || true; rm -rf "$W"' EXIT
export GOFLAGS= CGO_ENABLED=0

start_docker_registry "$REG" "$W/registry"
(cd "$BENCH" && go run ./cmd/manysvc -n "$N" -o "$W/mod")
cd "$W/mod"
MIP=(build -q --insecure-allow-http --bin-cache=)

# run CASE R CMD...: times CMD into $W/res/CASE.
run() {
	local c=$1
	shift 2
	/usr/bin/time -f "%e %U %S" -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
	awk '{printf "%s %.3f\n", $1, $2 + $3}' "$W/time" >>"$W/res/$c"
}
one() {
	local r=$2
	case $1 in
	floor) rm -rf "$W/out" && run floor "$r" go build -trimpath -o "$W/out/" ./cmd/... ;;
	go1) rm -f "$W/svc01" && run go1 "$r" go build -trimpath -o "$W/svc01" ./cmd/svc01 ;;
	mi) run mi "$r" "$MI" "${MIP[@]}" --push "$REG/r$r/mi/svc01" ./cmd/svc01 ;;
	mi-bin) run mi-bin "$r" "$MI" "${MIP[@]}" --push "$REG/r$r/bin/svc01" "$W/svc01" ;;
	mi-bin-bare) run mi-bin-bare "$r" "$MI" "${MIP[@]}" --sbom=none --provenance=none --push "$REG/r$r/bare/svc01" "$W/svc01" ;;
	mi-bin-dir) rm -rf "$W/dir" && run mi-bin-dir "$r" "$MI" "${MIP[@]}" -o "$W/dir" "$W/svc01" ;;
	esac
}
CASES=(floor go1 mi mi-bin mi-bin-bare mi-bin-dir)
mkdir -p "$W/res"
echo "$(nproc) CPUs, $(go version | cut -d' ' -f3), N=$N, load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${CASES[@]}"; do one "$c" 0; done
rm -f "$W"/res/*
for r in $(seq "$ROUNDS"); do
	for k in "${!CASES[@]}"; do one "${CASES[$(((k + r) % ${#CASES[@]}))]}" "$r"; done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-12s %8s %8s   %s\n' case wall/s cpu/s "runs (wall)"
for c in "${CASES[@]}"; do
	w=$(cut -d' ' -f1 "$W/res/$c" | med) u=$(cut -d' ' -f2 "$W/res/$c" | med)
	[ "$c" != floor ] || { c=floor/$N w=$(echo "$w $N" | awk '{printf "%.3f", $1/$2}') u=$(echo "$u $N" | awk '{printf "%.3f", $1/$2}'); }
	printf '%-12s %8s %8s   %s\n' "$c" "$w" "$u" "$(cut -d' ' -f1 "$W/res/${c%/*}" | tr '\n' ' ')"
done

set +o pipefail # head ends perf report early
if command -v perf >/dev/null; then
	echo
	echo "perf record -g of the loop of $N (--bin-cache=), CPU samples by command:"
	perf record -q -F 499 -g -o "$W/perf.data" -- bash -c 'for d in ./cmd/*; do "$0" build -q --insecure-allow-http --bin-cache= --push "$1/perf/${d##*/}" "$d"; done' "$MI" "$REG" >/dev/null 2>&1
	perf report -i "$W/perf.data" --stdio --no-children --sort comm -g none 2>/dev/null | grep -v '^#' | grep '%' | head -8
	comm=$(basename "$MI" | cut -c1-15)
	for c in "$comm" go link; do
		echo "$c's samples by function (self, % of all):"
		perf report -i "$W/perf.data" --stdio --no-children --comm "$c" --sort sym -g none 2>/dev/null | grep -v '^#' | grep '%' | head -12
	done
fi

if command -v python3 >/dev/null; then
	echo
	echo "go build -debug-trace of ./cmd/svc01 (a new -o file), the go command's spans over 10 ms:"
	rm -f "$W/svc01"
	go build -trimpath -debug-trace="$W/trace.json" -o "$W/svc01" ./cmd/svc01
	python3 - "$W/trace.json" <<-'EOF'
		import json, sys
		ev = json.load(open(sys.argv[1]))
		ev = ev if isinstance(ev, list) else ev.get("traceEvents", [])
		begin = {}
		spans = []
		for e in ev:
		    k = (e.get("tid"), e.get("name"))
		    if e.get("ph") == "B":
		        begin.setdefault(k, []).append(e["ts"])
		    elif e.get("ph") == "E" and begin.get(k):
		        s = begin[k].pop()
		        spans.append((s, e["ts"] - s, e["name"]))
		    elif e.get("ph") == "X":
		        spans.append((e["ts"], e.get("dur", 0), e["name"]))
		t0 = min(s for s, _, _ in spans) if spans else 0
		for s, d, n in sorted(spans):
		    if d >= 10000:
		        print(f"  {(s - t0) / 1000:7.0f} ms +{d / 1000:6.0f} ms  {n[:100]}")
	EOF
fi
