#!/usr/bin/env bash
# A local cometstream network of node processes on this host.
#
#   scripts/testnet.sh up     [DIR]   generate the network if DIR has none, start
#                                     every node, wait until all produce blocks,
#                                     write DIR/endpoints.json
#   scripts/testnet.sh down   [DIR]   stop every node (SIGTERM, then SIGKILL
#                                     after STOP_TIMEOUT seconds)
#   scripts/testnet.sh status [DIR]   each node's process and height
#   scripts/testnet.sh logs   [DIR]   follow every node's log (FOLLOW=0: print
#                                     the last lines and exit)
#
# DIR defaults to ~/.cometstream-testnet. Settings used when DIR is generated:
# VALIDATORS (4), FULL_NODES (1), BASE_PORT (26600; node i uses the 10 ports
# from BASE_PORT + 10*i). COMETSTREAM_BIN names a binary to use instead of
# building bin/cometstream. Logs are DIR/logs/NODE.log, pid files DIR/run/NODE.pid.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VALIDATORS=${VALIDATORS:-4}
FULL_NODES=${FULL_NODES:-1}
BASE_PORT=${BASE_PORT:-26600}
UP_TIMEOUT=${UP_TIMEOUT:-60}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}
FOLLOW=${FOLLOW:-1}

die() {
	echo "testnet: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 up|down|status|logs [DIR]" >&2
	exit 2
}

# binary prints the path of the cometstream binary, building it when it is
# missing or older than the sources.
binary() {
	if [[ -n ${COMETSTREAM_BIN:-} ]]; then
		[[ -x $COMETSTREAM_BIN ]] || die "COMETSTREAM_BIN=$COMETSTREAM_BIN is not executable"
		echo "$COMETSTREAM_BIN"
		return
	fi
	local bin=$repo/bin/cometstream
	if [[ ! -x $bin ]] || [[ -n $(find "$repo" -path "$repo/.git" -prune -o \
		\( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$bin" -print -quit) ]]; then
		command -v go >/dev/null || die "go is needed to build $bin"
		echo "building $bin" >&2
		(cd "$repo" && go build -modfile=lines/cometbft-v0.40.mod -buildvcs=auto -o bin/cometstream ./cmd/cometstream) >&2
	fi
	echo "$bin"
}

# nodes prints DIR/testnet.tsv without its header:
# name role home p2p rpc stream webapi.
nodes() {
	grep -v '^#' "$dir/testnet.tsv"
}

pidfile() { echo "$dir/run/$1.pid"; }

# is_node PID HOME: the process is alive and is the node of HOME (not a
# process that reused the pid, nor a zombie).
is_node() {
	kill -0 "$1" 2>/dev/null && ps -o args= -p "$1" 2>/dev/null | grep -qF -- "start --home $2"
}

# running NAME HOME prints the node's pid when its process is alive.
running() {
	local f pid
	f=$(pidfile "$1")
	[[ -f $f ]] || return 1
	pid=$(<"$f")
	[[ $pid =~ ^[0-9]+$ ]] && is_node "$pid" "$2" || return 1
	echo "$pid"
}

# status_of RPC prints "height catching_up" from the node's /status, or
# nothing when it does not answer.
status_of() {
	local body height catching
	body=$(curl -fsS --max-time 2 "http://$1/status" 2>/dev/null) || return 0
	height=$(grep -o '"latest_block_height": *"[0-9]*"' <<<"$body" | grep -o '[0-9]*"$' | tr -d '"') || true
	catching=$(grep -o '"catching_up": *[a-z]*' <<<"$body" | grep -o '[a-z]*$') || true
	if [[ -n $height ]]; then
		echo "$height ${catching:-unknown}"
	fi
}

cmd_up() {
	command -v curl >/dev/null || die "curl is needed to poll the nodes"
	local bin
	bin=$(binary)
	if [[ ! -f $dir/testnet.tsv ]]; then
		# Without the command's "start them with" line: this is starting them.
		"$bin" testnet --validators "$VALIDATORS" --full-nodes "$FULL_NODES" \
			--base-port "$BASE_PORT" --output "$dir" | grep -v '^start them with: '
	fi
	mkdir -p "$dir/logs" "$dir/run"

	local name role home p2p rpc stream web pid
	while read -r name role home p2p rpc stream web; do
		if pid=$(running "$name" "$home"); then
			echo "$name already running (pid $pid)"
			continue
		fi
		# Its own session: a Ctrl-C in this terminal does not reach it.
		setsid "$bin" start --home "$home" </dev/null >>"$dir/logs/$name.log" 2>&1 &
		echo $! >"$(pidfile "$name")"
		echo "$name started (pid $!, $role, log $dir/logs/$name.log)"
	done < <(nodes)

	# Every node must reach a height above 1 and say it is not catching up
	# (nodes start in blocksync, and refuse transactions until they leave it).
	# Liveness by pid alone: a node just started may not have exec'd yet, so
	# its command line is still this script's.
	local deadline=$((SECONDS + UP_TIMEOUT)) all st
	while :; do
		all=1
		while read -r name role home p2p rpc stream web; do
			if ! kill -0 "$(<"$(pidfile "$name")")" 2>/dev/null; then
				echo "testnet: $name exited; the end of its log:" >&2
				tail -n 30 "$dir/logs/$name.log" >&2
				die "stop the other nodes with: $0 down $dir"
			fi
			st=$(status_of "$rpc")
			if [[ -z $st || ${st% *} -lt 2 || ${st#* } != false ]]; then
				all=0
			fi
		done < <(nodes)
		((all)) && break
		if ((SECONDS >= deadline)); then
			cmd_status >&2
			die "not every node produced blocks within ${UP_TIMEOUT}s (see $dir/logs; stop them with: $0 down $dir)"
		fi
		sleep 0.5
	done
	write_endpoints
	echo "testnet up: $dir/endpoints.json"
	while read -r name role home p2p rpc stream web; do
		echo "$name ($role): rpc http://$rpc  stream $stream  web api $web"
	done < <(nodes)
}

write_endpoints() {
	local name role home p2p rpc stream web sep="" tmp=$dir/endpoints.json.tmp
	{
		echo "{\"nodes\": ["
		while read -r name role home p2p rpc stream web; do
			printf '%s  {"name": "%s", "role": "%s", "home": "%s", "rpc": "http://%s", "stream": "%s", "web_api": "%s", "p2p": "%s"}' \
				"$sep" "$name" "$role" "$home" "$rpc" "$stream" "$web" "$p2p"
			sep=$',\n'
		done < <(nodes)
		printf '\n]}\n'
	} >"$tmp"
	mv "$tmp" "$dir/endpoints.json"
}

cmd_down() {
	local name role home p2p rpc stream web pid i deadline
	local -a pids=() homes=() left_pids=() left_homes=()
	while read -r name role home p2p rpc stream web; do
		if pid=$(running "$name" "$home"); then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
			homes+=("$home")
			echo "$name: SIGTERM (pid $pid)"
		fi
		rm -f "$(pidfile "$name")"
	done < <(nodes)
	deadline=$((SECONDS + STOP_TIMEOUT))
	while ((${#pids[@]} > 0)); do
		left_pids=()
		left_homes=()
		for i in "${!pids[@]}"; do
			if is_node "${pids[i]}" "${homes[i]}"; then
				left_pids+=("${pids[i]}")
				left_homes+=("${homes[i]}")
			fi
		done
		pids=("${left_pids[@]+"${left_pids[@]}"}")
		homes=("${left_homes[@]+"${left_homes[@]}"}")
		((${#pids[@]} == 0)) && break
		if ((SECONDS >= deadline)); then
			echo "testnet: still running after ${STOP_TIMEOUT}s, SIGKILL: ${pids[*]}" >&2
			kill -KILL "${pids[@]}" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	rm -f "$dir/endpoints.json"
	echo "testnet down"
}

cmd_status() {
	local name role home p2p rpc stream web pid st
	printf '%-8s %-10s %-9s %-8s %-12s %s\n' NODE ROLE PROCESS HEIGHT CATCHING_UP RPC
	while read -r name role home p2p rpc stream web; do
		if pid=$(running "$name" "$home"); then
			st=$(status_of "$rpc")
			printf '%-8s %-10s %-9s %-8s %-12s %s\n' "$name" "$role" "$pid" "${st% *}" "${st#* }" "http://$rpc"
		else
			printf '%-8s %-10s %-9s %-8s %-12s %s\n' "$name" "$role" stopped - - "http://$rpc"
		fi
	done < <(nodes)
}

cmd_logs() {
	local -a files=("$dir"/logs/*.log)
	[[ -e ${files[0]} ]] || die "no logs in $dir/logs"
	if [[ $FOLLOW == 1 ]]; then
		exec tail -n 20 -F "${files[@]}"
	fi
	tail -n 20 "${files[@]}"
}

(($# >= 1 && $# <= 2)) || usage
action=$1
dir=${2:-$HOME/.cometstream-testnet}
case $action in
up)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	cmd_up
	;;
down | status | logs)
	[[ -f $dir/testnet.tsv ]] || die "no testnet in $dir (run: $0 up $dir)"
	dir=$(cd "$dir" && pwd)
	"cmd_$action"
	;;
*) usage ;;
esac
