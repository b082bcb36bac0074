#!/bin/bash
# ko.sh MINIMAGE SRC: ko build against minimage build of the Go package in
# SRC, interleaved N times (default 9) after one warm-up each (Go's build
# cache warm for both); prints every run's wall and CPU seconds and peak
# RSS, the medians and ko/minimage. ko writes an OCI layout
# (--push=false --oci-layout-path) and, in a third case, pushes; minimage
# writes an OCI layout. ko's base is minimage's own base image, served by a
# registry at REGISTRY (default 127.0.0.1:38517, plain HTTP), which must
# hold it as base:latest:
#
#   go install github.com/google/ko@v0.19.1
#   docker-registry serve CONFIG.yml &          # http.addr: 127.0.0.1:38517
#   (cd bench && go run ./cmd/baseimage -o /tmp/base)
#   skopeo copy --dest-tls-verify=false oci:/tmp/base:latest docker://127.0.0.1:38517/base:latest
#   go build -o /tmp/mi ./cmd/minimage
#   (cd bench && go run ./cmd/e2ecli -n 1)      # makes the 106 MB program's source
#   N=9 bench/ko.sh /tmp/mi /tmp/minimage-e2ecli-go1.26.8-104000000/src
set -euo pipefail
MI=$1 SRC=$2 N=${N:-9} REGISTRY=${REGISTRY:-127.0.0.1:38517} KO=${KO:-$(go env GOPATH)/bin/ko}
export KO_DOCKER_REPO=$REGISTRY/ko KO_DEFAULTBASEIMAGE=$REGISTRY/base:latest GOFLAGS=
W=$(mktemp -d)
OUT=/tmp/ko-bench-$$ # ko takes a layout path for a repository name: no capitals
trap 'rm -rf "$W" "$OUT"' EXIT
cd "$SRC"
# run NAME CMD...: appends "wall cpu rssKiB" to $W/NAME.txt.
run() {
	local name=$1
	shift
	rm -rf "$OUT"
	/usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
	awk '{print $1, $2 + $3, $4}' "$W/time" >>"$W/$name.txt"
}
ko_layout() { run ko-layout "$KO" build --insecure-registry --push=false --oci-layout-path="$OUT" --platform=linux/amd64 ./; }
ko_push() { run ko-push "$KO" build --insecure-registry --platform=linux/amd64 -t "r$1" ./; }
mi_layout() { run minimage-layout "$MI" build -q -o "$OUT" ./; }
ko_layout; mi_layout; ko_push 0
rm -f "$W"/*.txt
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 1 ]; then ko_layout; mi_layout; ko_push "$i"; else mi_layout; ko_push "$i"; ko_layout; fi
done
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for c in ko-layout ko-push minimage-layout; do
	echo "$c runs (wall cpu rssKiB): $(tr '\n' ';' <"$W/$c.txt")"
	echo "$c median wall $(cut -d' ' -f1 "$W/$c.txt" | med)s cpu $(cut -d' ' -f2 "$W/$c.txt" | med)s peak RSS $(cut -d' ' -f3 "$W/$c.txt" | med) KiB"
done
for c in ko-layout ko-push; do
	echo "$c / minimage: wall $(echo "scale=2; $(cut -d' ' -f1 "$W/$c.txt" | med) / $(cut -d' ' -f1 "$W/minimage-layout.txt" | med)" | bc)x," \
		"cpu $(echo "scale=2; $(cut -d' ' -f2 "$W/$c.txt" | med) / $(cut -d' ' -f2 "$W/minimage-layout.txt" | med)" | bc)x"
done
