#!/bin/bash
# many.sh MINIMAGE [N...]: many images from one module (issue 23, item 4):
# for each N (default 1 5 20), a module of N small HTTP services
# (bench/cmd/manysvc), built and pushed for each platform list in
# PLATFORMS (default "linux/amd64 linux/amd64,linux/arm64", lists of OS/ARCH
# only) by
#
#   floor     go build -trimpath -o DIR/ ./cmd/... (CGO_ENABLED=0), one per
#             platform, into a new DIR: compiles nothing (Go's cache is
#             warm), links every binary
#   ko        ko build -B --platform=LIST ./cmd/svc01 … (ko takes no
#             pattern), KO_DEFAULTBASEIMAGE the base in the same registry
#   loop-off  one minimage build --push REG/PREFIX/svcNN --platform LIST
#             ./cmd/svcNN per service, --bin-cache= (no binary cache)
#   loop-on   the same with --bin-cache=DIR, warm: go build finds each
#             binary up to date and does not link it
#   multi-off minimage build --push REG/PREFIX --platform LIST ./cmd/...,
#   multi-on  one process for all; skipped, with the reason, when MINIMAGE
#             does not push REG/PREFIX/svc01 and svc02 for a 2-service probe
#
# against Debian's docker-registry on 127.0.0.1:PORT (default 38519, plain
# HTTP), which gets minimage's base files and CA bundle (bench/cmd/baseimage)
# as base:latest, an index for linux/amd64 and linux/arm64 (crane), for ko.
# minimage uses its own base, the same layers. Every run pushes to a new
# repository prefix, so every layer but ko's mounted base is uploaded. Each
# case runs once to warm Go's build cache and the binary cache, then ROUNDS
# times (default 5), the cases in a rotating order; prints each run's wall
# and CPU seconds (the command and its children, not the registry), the
# medians, their ratios to the floor's, and the median of each round's
# wall ratio to that round's floor (round/fl), steadier on a shared machine. Both tools push their defaults:
# ko an SPDX SBOM per image (a tag), minimage an SPDX SBOM and an SLSA
# provenance per platform image (referrers).
#
#   go build -o /tmp/mi ./cmd/minimage
#   bench/many.sh /tmp/mi 2>&1 | tee /tmp/many.txt
#   ROUNDS=3 PLATFORMS=linux/amd64 bench/many.sh /tmp/mi 20
#
# Needs go, docker-registry, crane, curl and /usr/bin/time; ko at $KO
# (default /usr/local/bin/ko; its cases are skipped without it).
set -euo pipefail
if [ $# -lt 1 ]; then
	echo "usage: $0 MINIMAGE [N...]" >&2
	exit 2
fi
MI=$(realpath "$1")
shift
NS=("$@")
[ ${#NS[@]} -gt 0 ] || NS=(1 5 20)
read -r -a PLATS <<<"${PLATFORMS:-linux/amd64 linux/amd64,linux/arm64}"
ROUNDS=${ROUNDS:-5} KO=${KO:-/usr/local/bin/ko} PORT=${PORT:-38519}
REG=127.0.0.1:$PORT
BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$BENCH/lib.sh"
W=$(mktemp -d /tmp/many-bench.XXXXXX)
REGPID=
trap '[ -z "$REGPID" ] || kill "$REGPID" 2>/dev/null || true; rm -rf "$W"' EXIT
export GOFLAGS= CGO_ENABLED=0 MI KO REG W
for t in go docker-registry crane curl /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "many.sh: $t is missing" >&2; exit 1; }
done

# push_base pushes minimage's base as $REG/base:latest, an index of
# linux/amd64 and linux/arm64 (the layers hold no machine code).
push_base() {
	(cd "$BENCH" && go run ./cmd/baseimage -o "$W/base")
	{
		crane push --insecure "$W/base" "$REG/base:amd64"
		crane mutate --insecure --set-platform linux/arm64 "$REG/base:amd64" -t "$REG/base:arm64"
		crane index append --insecure -m "$REG/base:amd64" -m "$REG/base:arm64" -t "$REG/base:latest"
	} >/dev/null 2>"$W/crane.log" || { cat "$W/crane.log" >&2; exit 1; }
}

# The cases: each runs in the module's directory, with the platform list
# and a repository prefix new to the registry.
case_floor() {
	local p
	rm -rf "$W/out"
	for p in ${1//,/ }; do
		GOOS=${p%%/*} GOARCH=${p#*/} go build -trimpath -o "$W/out/${p//\//-}/" ./cmd/...
	done
}
case_ko() {
	KO_DOCKER_REPO=$REG/$2 KO_DEFAULTBASEIMAGE=$REG/base:latest "$KO" build -B --insecure-registry --platform="$1" ./cmd/*
}
mi_loop() {
	local d
	for d in ./cmd/*; do
		"$MI" build -q --insecure-allow-http --bin-cache="$3" --platform "$1" --push "$REG/$2/${d##*/}" "$d"
	done
}
case_loop_off() { mi_loop "$1" "$2" ""; }
case_loop_on() { mi_loop "$1" "$2" "$W/bincache"; }
case_multi_off() { "$MI" build -q --insecure-allow-http --bin-cache= --platform "$1" --push "$REG/$2" ./cmd/...; }
case_multi_on() { "$MI" build -q --insecure-allow-http --bin-cache="$W/bincache" --platform "$1" --push "$REG/$2" ./cmd/...; }
export -f case_floor case_ko mi_loop case_loop_off case_loop_on case_multi_off case_multi_on

# probe_multi says whether $MI pushes one image per package of ./cmd/...
# (a new module of 2 services) as $REG/probe/NAME; if not, it prints why.
probe_multi() {
	"$W/manysvc" -n 2 -o "$W/probe"
	if ! (cd "$W/probe" && "$MI" build -q --insecure-allow-http --bin-cache= --push "$REG/probe" ./cmd/...) >"$W/probe.log" 2>&1; then
		echo "multi-off, multi-on: skipped, $MI failed on the probe (build --push $REG/probe ./cmd/...):"
		sed -n 1,3p "$W/probe.log" | sed 's/^/  /'
		return 1
	fi
	if ! crane digest --insecure "$REG/probe/svc01:latest" >/dev/null 2>&1 || ! crane digest --insecure "$REG/probe/svc02:latest" >/dev/null 2>&1; then
		echo "multi-off, multi-on: skipped, the probe pushed no $REG/probe/svc01:latest and svc02:latest"
		return 1
	fi
}

# run N PLATIDX CASE RUN times one run of CASE into $W/res/N-PLATIDX-CASE.
run() {
	local dir=$W/mod$1 plat=${PLATS[$2]} repo=r$4/$3/n$1p$2
	(cd "$dir" && /usr/bin/time -f "%e %U %S" -o "$W/time" bash -c 'case_${0//-/_} "$1" "$2"' "$3" "$plat" "$repo") >/dev/null 2>"$W/err" || {
		echo "many.sh: $3 for N=$1 $plat failed:" >&2
		cat "$W/err" >&2
		exit 1
	}
	awk '{printf "%s %.2f\n", $1, $2 + $3}' "$W/time" >>"$W/res/$1-$2-$3"
}

med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# report prints the table of one N and platform list.
report() {
	local n=$1 pi=$2 c f fw fc w u
	f=$W/res/$n-$pi-floor
	fw=$(cut -d' ' -f1 "$f" | med) fc=$(cut -d' ' -f2 "$f" | med)
	echo
	echo "N=$n --platform ${PLATS[$pi]}, $ROUNDS rounds"
	printf '%-10s %7s %7s %7s %7s %7s   %s\n' case wall/s cpu/s wall/fl cpu/fl round/fl "runs (wall)"
	for c in "${CASES[@]}"; do
		f=$W/res/$n-$pi-$c
		w=$(cut -d' ' -f1 "$f" | med) u=$(cut -d' ' -f2 "$f" | med)
		printf '%-10s %7s %7s %7.2f %7.2f %7.2f   %s\n' "$c" "$w" "$u" "$(echo "$w $fw" | awk '{print $1/$2}')" \
			"$(echo "$u $fc" | awk '{print $1/$2}')" "$(paste -d' ' "$f" "$W/res/$n-$pi-floor" | awk '{print $1/$3}' | med)" \
			"$(cut -d' ' -f1 "$f" | tr '\n' ' ')"
	done
}

main() {
	local n pi c r k i
	mkdir -p "$W/res"
	(cd "$BENCH" && go build -o "$W/manysvc" ./cmd/manysvc)
	start_docker_registry "$REG" "$W/registry"
	push_base
	CASES=(floor)
	if [ -x "$KO" ]; then CASES+=(ko); else echo "ko: skipped, $KO is missing"; fi
	CASES+=(loop-off loop-on)
	if probe_multi; then CASES+=(multi-off multi-on); fi
	for n in "${NS[@]}"; do "$W/manysvc" -n "$n" -o "$W/mod$n"; done
	echo "$(uname -m), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), $("$MI" version 2>/dev/null | head -1)"
	echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg); warming up"
	for n in "${NS[@]}"; do for pi in "${!PLATS[@]}"; do for c in "${CASES[@]}"; do
		run "$n" "$pi" "$c" 0
	done; done; done
	rm -f "$W"/res/*
	for r in $(seq "$ROUNDS"); do
		for n in "${NS[@]}"; do for pi in "${!PLATS[@]}"; do
			for k in "${!CASES[@]}"; do
				i=$(((k + r) % ${#CASES[@]}))
				run "$n" "$pi" "${CASES[$i]}" "$r"
			done
		done; done
		echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg)"
	done
	for n in "${NS[@]}"; do for pi in "${!PLATS[@]}"; do report "$n" "$pi"; done; done
	echo
	echo "warm: Go's build cache, and for loop-on and multi-on the binary cache (each binary kept by the warm-up run)"
}
main
