#!/bin/bash
# pushpull.sh OLD NEW: push, re-push and pull of a two-platform image of
# about 92 MB (linux/amd64 + linux/arm64, each a static Go program with 44
# MiB of random bytes in it, so its layer hardly compresses) through
# "minimage registry serve" (in memory, plain HTTP on loopback, no
# throttle), with two minimage binaries, crane and skopeo, interleaved N
# times (default 7) in rotating order after one warm-up each. A push goes
# to a fresh repository, a re-push sends the same image to it again (one
# request or two), a pull writes a new OCI layout: minimage pull -o DIR,
# crane pull --format=oci, skopeo copy --all to oci:DIR. skopeo's pushes
# mount what its blob-info cache (root's is /var/lib/containers/cache)
# saw in another repository of the registry, so they upload nothing: they
# are not comparable with the others'. Prints every run's
# wall and CPU seconds (CPU in hundredths, as time(1) gives it) and the
# medians.
#
#   mkdir /tmp/mi-main && git archive main | tar -x -C /tmp/mi-main
#   (cd /tmp/mi-main && go build -o /tmp/mi-old ./cmd/minimage)
#   go build -o /tmp/mi-new ./cmd/minimage
#   N=9 bench/pushpull.sh /tmp/mi-old /tmp/mi-new
#
# TOOLS (default "old new crane skopeo") picks which run; CRANE and SKOPEO
# name the binaries. The layouts land in TMPDIR: on a disk the syncs that
# make minimage's writes durable count (crane and skopeo sync nothing);
# TMPDIR=/dev/shm leaves them out.
set -euo pipefail
OLD=$1 NEW=$2 N=${N:-7}
TOOLS=${TOOLS:-old new crane skopeo}
CRANE=${CRANE:-/usr/local/bin/crane} SKOPEO=${SKOPEO:-skopeo}
W=$(mktemp -d)
REGPID=
trap '[ -n "$REGPID" ] && kill "$REGPID"; rm -rf "$W"' EXIT
export DOCKER_CONFIG=$W/docker REGISTRY_AUTH_FILE=$W/auth.json # no credentials to look up, for every tool
mkdir -p "$W/docker"

# The program: 44 MiB of random bytes, embedded, built for two platforms.
mkdir -p "$W/big"
head -c $((44 << 20)) /dev/urandom >"$W/big/data.bin"
printf 'module big\n\ngo 1.22\n' >"$W/big/go.mod"
cat >"$W/big/main.go" <<'EOF'
package main

import (
	_ "embed"
	"fmt"
)

//go:embed data.bin
var data []byte

func main() { fmt.Println(len(data)) }
EOF
"$NEW" build -q --bin-cache= --platform linux/amd64,linux/arm64 --no-certs -t v1 -o "$W/src" "$W/big" >/dev/null
echo "image: $(du -sb "$W/src/blobs" | cut -f1) bytes of blobs in $W/src"

"$NEW" registry serve --address 127.0.0.1:0 >"$W/addr" 2>"$W/registry.log" &
REGPID=$!
for _ in $(seq 50); do [ -s "$W/addr" ] && break; sleep 0.1; done
R=$(head -1 "$W/addr")
"$NEW" push -q --insecure-allow-http "$W/src:v1" "$R/src:v1" >/dev/null

# cmd OP TOOL ARG: sets C to the command of OP (push or pull) for TOOL,
# to repository ARG for a push, into directory ARG for a pull.
cmd() {
	local bin
	case $2 in old) bin=$OLD ;; new) bin=$NEW ;; esac
	case $1-$2 in
	push-old | push-new) C=("$bin" push -q --insecure-allow-http "$W/src:v1" "$R/$3:v1") ;;
	push-crane) C=("$CRANE" push --insecure --index "$W/src" "$R/$3:v1") ;;
	push-skopeo) C=("$SKOPEO" copy -q --all --dest-tls-verify=false "oci:$W/src:v1" "docker://$R/$3:v1") ;;
	pull-old | pull-new) C=("$bin" pull -q --insecure-allow-http "$R/src:v1" -o "$3") ;;
	pull-crane) C=("$CRANE" pull --insecure --format=oci "$R/src:v1" "$3") ;;
	pull-skopeo) C=("$SKOPEO" copy -q --all --src-tls-verify=false "docker://$R/src:v1" "oci:$3:v1") ;;
	esac
}
# timed OP TOOL ROUND: runs OP (push, repush or pull) for TOOL, appends
# "wall cpu" to $W/OP-TOOL.txt.
timed() {
	local op=$1 tool=$2 i=$3 s e
	case $op in
	push | repush) cmd push "$tool" "$tool-$i" ;;
	pull) rm -rf "$W/pull" && sync && cmd pull "$tool" "$W/pull" ;;
	esac
	s=$(date +%s.%N)
	/usr/bin/time -f "%U %S" -o "$W/time" "${C[@]}" >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
	e=$(date +%s.%N)
	awk -v w="$(echo "$e - $s" | bc)" '{printf "%.3f %.2f\n", w, $1 + $2}' "$W/time" >>"$W/$op-$tool.txt"
}
round() {
	local i=$1 tool
	shift
	for tool in "$@"; do timed push "$tool" "$i"; done
	for tool in "$@"; do timed repush "$tool" "$i"; done
	for tool in "$@"; do timed pull "$tool" "$i"; done
}
read -r -a T <<<"$TOOLS"
round warm "${T[@]}"
rm -f "$W"/*.txt
for i in $(seq 1 "$N"); do
	# Rotate the order, so that no tool always follows the same one.
	k=$((i % ${#T[@]}))
	round "$i" "${T[@]:k}" "${T[@]:0:k}"
done
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "op      tool    wall s (median)  cpu s (median)  walls"
for op in push repush pull; do
	for tool in "${T[@]}"; do
		f=$W/$op-$tool.txt
		printf '%-7s %-7s %-16s %-15s %s\n' "$op" "$tool" "$(cut -d' ' -f1 "$f" | med)" "$(cut -d' ' -f2 "$f" | med)" "$(cut -d' ' -f1 "$f" | tr '\n' ' ')"
	done
done
