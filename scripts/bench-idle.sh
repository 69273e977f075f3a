#!/usr/bin/env bash
# bench-idle.sh measures what an idle `packetbuddy --headless` costs, beside
# the floor of any 1-second poller (a bare Go program that wakes every
# second and reads /proc/net/dev), all started together so they share the
# machine's conditions:
#
#   scripts/bench-idle.sh [-s SECONDS] [-r ROUNDS] BINARY [BINARY...]
#
# Each BINARY (e.g. two builds to compare) runs with its own data directory
# and configuration, on its own dashboard port. After a 10 s warm-up the CPU
# time of every process (sum of /proc/PID/task/*/schedstat) is read over
# SECONDS (default 60); each of ROUNDS rounds (default 3) prints CPU in ms
# per minute and RSS in MB. Linux only.
set -euo pipefail
secs=60 rounds=3
while getopts s:r: o; do
	case $o in
	s) secs=$OPTARG ;;
	r) rounds=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-s SECONDS] [-r ROUNDS] BINARY..." >&2; exit 2; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/floor"
cat >"$work/floor/main.go" <<'GO'
package main

import (
	"os"
	"time"
)

func main() {
	for range time.Tick(time.Second) {
		b, _ := os.ReadFile("/proc/net/dev")
		_ = b
	}
}
GO
(cd "$work/floor" && printf 'module floor\ngo 1.22\n' >go.mod && go build -o floor .)

cpu_ns() { # total CPU nanoseconds of all threads of $1
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s + 0}'
}
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' /proc/"$1"/status; }

for r in $(seq "$rounds"); do
	names=(floor) pids=()
	"$work/floor/floor" & pids+=($!)
	i=0
	for bin in "$@"; do
		i=$((i + 1))
		d="$work/app$i.$r"
		mkdir -p "$d"
		printf '[dashboard]\naddr = "127.0.0.1:%d"\n' $((17400 + i)) >"$d/config.toml"
		PACKETBUDDY_CONFIG="$d/config.toml" PACKETBUDDY_DATA_DIR="$d/data" \
			"$bin" --headless >"$d/log" 2>&1 &
		pids+=($!) names+=("$bin")
	done
	sleep 10
	before=()
	for p in "${pids[@]}"; do before+=("$(cpu_ns "$p")"); done
	sleep "$secs"
	echo "round $r ($secs s):"
	for k in "${!pids[@]}"; do
		p=${pids[$k]}
		after=$(cpu_ns "$p")
		awk -v a="$after" -v b="${before[$k]}" -v s="$secs" -v n="${names[$k]}" -v rss="$(rss_mb "$p")" \
			'BEGIN {printf "  %-40s %6.1f ms CPU/min  %5s MB RSS\n", n, (a - b) / 1e6 * 60 / s, rss}'
	done
	kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null || true
done
