package cloudsync

import (
	"context"
	"encoding/json"
	"time"
)

// States of Status.State.
const (
	StateNotConfigured = "not configured"
	StateDisabled      = "disabled"
	StateIdle          = "idle"     // waiting for the next interval
	StateSyncing       = "syncing"  // a cycle is running
	StateRetrying      = "retrying" // the last cycle failed; backing off
	StateFailed        = "failed"   // a permanent error; waiting for the user
)

// Summaries of a Status, as the tray, the API and the CLI name them.
const (
	SummaryOff     = "off"
	SummaryOK      = "ok"
	SummaryFailing = "failing"
)

// Status is what the tray, the API and "packetbuddy sync status" show. It
// never contains the password, and LastError has every URL redacted (see
// RedactURLs).
type Status struct {
	State       string    `json:"state"`
	Enabled     bool      `json:"enabled"`
	Configured  bool      `json:"configured"`
	Target      string    `json:"target,omitempty"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Permanent   bool      `json:"permanent_error,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	Failures    int       `json:"consecutive_failures,omitempty"`
	Pending     int64     `json:"pending_buckets"`
	Devices     int       `json:"devices_seen"`
	Pushed      int64     `json:"last_pushed"`
	Pulled      int64     `json:"last_pulled"`
}

// Summary is the one reading of a status: SummaryOff when sync is not
// configured or switched off, SummaryFailing after a permanent error or
// while retrying, else SummaryOK.
func (s Status) Summary() string {
	switch {
	case !s.Configured || !s.Enabled:
		return SummaryOff
	case s.Permanent || s.Failures > 0:
		return SummaryFailing
	}
	return SummaryOK
}

// SavedStatus returns the status the syncer saved last (possibly in another
// process: the running app), with the configuration of opts applied (target,
// enabled unless toggled at runtime, a configuration error) and the pending
// count read now. It is what "packetbuddy sync status" shows.
func SavedStatus(ctx context.Context, st Store, opts Options) (Status, error) {
	var out Status
	v, ok, err := st.GetMeta(ctx, metaStatus)
	if err != nil {
		return out, err
	}
	if ok && v != "" {
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			out = Status{}
		}
	}
	sec := secrets(opts.Source.URL)
	// An older PacketBuddy saved its errors with the URLs in them.
	out.LastError = redactMessage(out.LastError, sec)
	out.Configured = opts.Source.Configured()
	out.Target = opts.Source.Redacted()
	out.Enabled = opts.Enabled
	if e, ok, err := st.GetMeta(ctx, metaEnabled); err != nil {
		return out, err
	} else if ok {
		out.Enabled = e == "1"
	}
	if opts.ConfigError != nil {
		out.Configured = true
		out.Permanent = true
		out.LastError = redactMessage(opts.ConfigError.Error(), sec)
	}
	if out.Pending, err = st.PendingCount(ctx); err != nil {
		return out, err
	}
	out.State = stateOf(out)
	return out, nil
}

// stateOf is the state of a status between cycles.
func stateOf(st Status) string {
	switch {
	case !st.Configured:
		return StateNotConfigured
	case !st.Enabled:
		return StateDisabled
	case st.Permanent:
		return StateFailed
	case st.Failures > 0:
		return StateRetrying
	}
	return StateIdle
}
