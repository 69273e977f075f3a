package dashboard

import "time"

// Sync states reported by /api/health.
const (
	SyncOff     = "off"
	SyncOK      = "ok"
	SyncFailing = "failing"
)

// SyncState is the multi-device sync's state as /api/health shows it.
type SyncState struct {
	State       string    `json:"state"` // SyncOff, SyncOK or SyncFailing
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	NextRetry   time.Time `json:"next_retry,omitzero"`
}

// SyncStatus reports the sync's state; a nil SyncStatus means sync is off.
// The error text must never contain the database URL or password.
type SyncStatus interface {
	SyncState() SyncState
}
