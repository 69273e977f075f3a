// Package store keeps PacketBuddy's usage history in a local SQLite file.
//
// Usage is stored as 15-minute buckets per device, NIC and network (UTC unix
// seconds, aligned to 900 s), so that "today" and "this month" are exact in
// every real time zone, plus a per-local-day rollup that makes the common
// queries cheap. A network is what a NIC was attached to (network.go): per
// NIC, the sum over its networks is what was counted.
// A flush adds bucket deltas and saves the kernel counters they came from in
// one transaction; that is what makes the accounting crash-safe.
//
// How usage is shown (units, prices, the JSON shape) is package report's.
//
// The single-instance lock (lock.go) lives here because the store owns the
// data directory: the lock guards the database's one writer, and every
// process that opens the database for writing takes it in Open.
package store
