// Package dashboard serves PacketBuddy's localhost HTTP API and its embedded
// web UI: usage reports in the shared JSON usage shape, live speed (a JSON
// snapshot and a server-sent event stream), export, pause/resume and
// settings; the networks list (with the ones the NICs are on now), their
// renaming, and network= on every usage query; with multi-device sync
// (package cloudsync), the devices list, device= on every usage query, and
// switching sync on and off.
//
// The server is hardened against browsers: it listens on loopback only
// (unless explicitly allowed), rejects foreign Host headers (DNS
// rebinding), never sends CORS headers, and accepts state-changing requests
// only from its own origin, as JSON, carrying the per-install token kept in
// <data dir>/api-token (see LoadOrCreateToken).
package dashboard
