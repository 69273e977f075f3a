#!/bin/sh
# Load benchmark of the dashboard API with wrk (Debian package "wrk") on a
# synthetic 10-year, 3-NIC database (about 1.05 million buckets; building
# it takes ~30 s). Prints requests per second and latency percentiles of
# /api/today and /api/summary.
#
# Usage: scripts/bench-dashboard.sh [duration, default 10s] [connections, default 64]
set -eu
duration="${1:-10s}"
conns="${2:-64}"
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v wrk >/dev/null 2>&1 || { echo "bench-dashboard: wrk not found (apt-get install wrk)" >&2; exit 1; }

port="${PACKETBUDDY_BENCH_PORT:-17373}"
addr="127.0.0.1:$port"
tmp="$(mktemp -d)"
cd "$root"
go test -c -o "$tmp/dashboard.test" ./dashboard
PACKETBUDDY_BENCH_SERVE="$addr" "$tmp/dashboard.test" -test.run '^TestServeBenchDB$' -test.timeout 0 >"$tmp/server.log" 2>&1 &
server=$!
cleanup() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

i=0
until grep -q '^READY' "$tmp/server.log"; do
	i=$((i + 1))
	if [ "$i" -gt 600 ] || ! kill -0 "$server" 2>/dev/null; then
		echo "bench-dashboard: server did not start:" >&2
		cat "$tmp/server.log" >&2
		exit 1
	fi
	sleep 0.2
done

for path in /api/today /api/summary; do
	curl -fsS -o /dev/null "http://$addr$path"
	echo "== $path ($duration, $conns connections, 2 threads)"
	wrk -t2 -c"$conns" -d"$duration" --latency "http://$addr$path" | sed -n '/Thread Stats/,$p'
done
