#!/bin/bash
# lib.sh: what the benchmark scripts share; source it.

# start_docker_registry ADDR DIR: starts Debian's docker-registry on ADDR
# (HOST:PORT, plain HTTP) with its storage, config and log in DIR, waits
# until it answers, and sets REGPID; on no answer it prints the log and
# exits.
start_docker_registry() {
	local addr=$1 dir=$2
	mkdir -p "$dir"
	cat >"$dir/registry.yml" <<-EOF
		version: 0.1
		log:
		  level: error
		  accesslog:
		    disabled: true
		storage:
		  filesystem:
		    rootdirectory: $dir/data
		  delete:
		    enabled: true
		http:
		  addr: $addr
	EOF
	docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
	REGPID=$!
	for _ in $(seq 100); do
		curl -fs "http://$addr/v2/" >/dev/null && return
		sleep 0.1
	done
	echo "$(basename "$0"): docker-registry did not answer on $addr:" >&2
	cat "$dir/registry.log" >&2
	exit 1
}
