#!/bin/sh
# Sync benchmarks against a local PostgreSQL (default: postgres@127.0.0.1:5432,
# trust auth; override with PACKETBUDDY_TEST_POSTGRES_URL). Not part of CI's
# timed test run. Usage: scripts/bench-sync.sh [count]
set -eu
cd "$(dirname "$0")/.."
count="${1:-1}"
export PACKETBUDDY_TEST_REQUIRE="${PACKETBUDDY_TEST_REQUIRE:-postgres}"
go test -run '^$' -bench 'BenchmarkPushYearBacklog' -benchtime 5x -count "$count" ./cloudsync
go test -run '^$' -bench 'BenchmarkFleet200' -benchtime 1x -count "$count" -timeout 20m ./cloudsync
go test -run '^$' -bench 'BenchmarkApplyPulled' -benchtime 5x -count "$count" ./store
