// Package cloudsync keeps several devices' usage together in one PostgreSQL
// database (Neon or any PostgreSQL 13+), while each device's SQLite store
// stays the source of truth for its own traffic.
//
// A cycle connects, creates or upgrades the remote schema (numbered
// migrations under an advisory lock), pushes this device's buckets (keyed
// by NIC, network and start) changed since the acknowledged local change
// number as absolute values (INSERT ...
// ON CONFLICT DO UPDATE, one transaction per batch, the local mark advanced
// only after COMMIT) and pulls other devices' buckets changed since the last
// pull horizon into the local store. Pulls are keyed by the transaction id
// that wrote each row (xid8) and a snapshot's xmin, so a transaction that
// commits after a younger one is never skipped. Every step is idempotent:
// replaying any part of a cycle leaves the same rows.
//
// Syncer.Run schedules cycles (soon after start, every interval, exponential
// backoff with jitter from 60 s to 1 h after failures, no retries after a
// permanent error) and never blocks the monitor. The database password is
// never logged, returned in an error or shown in Status, and every URL in a
// message is cut to its host and path (redact.go holds these rules).
package cloudsync
