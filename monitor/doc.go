// Package monitor samples the per-NIC network counters of the OS and turns
// them into exact byte deltas: resets, 32-bit wraps and glitches are told
// apart from traffic, traffic while the app was down is recovered as gaps,
// and the deltas are flushed with the counters they came from in one
// database transaction. It also keeps the live-speed ring that the tray and
// dashboard read without touching the database.
package monitor
