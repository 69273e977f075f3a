// Package store keeps PacketBuddy's usage history in a local SQLite file.
//
// Usage is stored as 15-minute buckets per device and NIC (UTC unix seconds,
// aligned to 900 s), so that "today" and "this month" are exact in every real
// time zone, plus a per-local-day rollup that makes the common queries cheap.
// A flush adds bucket deltas and saves the kernel counters they came from in
// one transaction; that is what makes the accounting crash-safe.
//
// The package also owns the units and cost rules (Pricing, Usage) so that the
// CLI, the dashboard and the tray format numbers the same way.
package store
