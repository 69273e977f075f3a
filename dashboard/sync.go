package dashboard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
)

// Sync is the multi-device sync (*cloudsync.Syncer). A nil Sync means it
// is not set up: the API then reports it off and refuses to switch it on.
type Sync interface {
	Status() cloudsync.Status
	SetEnabled(ctx context.Context, on bool) error
	SyncNow(ctx context.Context) error
}

// SyncState is the sync's state as the API shows it. It never holds the
// database URL or password: cloudsync redacts its errors, and the target
// is left out altogether.
type SyncState struct {
	State      string `json:"state"`  // Status.Summary: "off", "ok" or "failing"
	Detail     string `json:"detail"` // cloudsync's finer state: "not configured", "disabled", "idle", "syncing", "retrying", "failed"
	Configured bool   `json:"configured"`
	Enabled    bool   `json:"enabled"`
	Syncing    bool   `json:"syncing"`
	// LastSuccess is the end of the last successful cycle.
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Permanent means retrying cannot fix LastError (authentication,
	// permissions, a newer remote schema): sync waits for the user.
	Permanent bool `json:"permanent_error,omitempty"`
	// NextRetry is when a failing sync tries again.
	NextRetry time.Time `json:"next_retry,omitzero"`
	Pending   int64     `json:"pending_buckets"`
	Devices   int       `json:"devices_seen"`
}

// syncStateOf turns the syncer's status into the API's view of it.
func syncStateOf(st cloudsync.Status) SyncState {
	out := SyncState{
		State: st.Summary(), Detail: st.State, Configured: st.Configured, Enabled: st.Enabled,
		Syncing: st.State == cloudsync.StateSyncing, LastSuccess: st.LastSuccess,
		Pending: st.Pending, Devices: st.Devices,
	}
	if out.State == cloudsync.SummaryFailing {
		// The Syncer stores its errors redacted already; Sync may be any
		// implementation, and the API must never show a URL.
		out.LastError = cloudsync.RedactURLs(st.LastError)
		out.Permanent = st.Permanent
		if !st.Permanent {
			out.NextRetry = st.NextAttempt
		}
	}
	return out
}

// syncState is the current state; off when there is no syncer.
func (s *Server) syncState() SyncState {
	if s.opts.Sync == nil {
		return syncStateOf(cloudsync.Status{State: cloudsync.StateNotConfigured})
	}
	return syncStateOf(s.opts.Sync.Status())
}

// syncMark identifies the end of a sync cycle, which may have pulled other
// devices' rows into the store.
type syncMark struct {
	attempt, success, next int64
	pulled                 int64
	failures               int
}

// noticeSync drops the cached query results when a sync cycle started or
// ended since the last look, so that rows the syncer pulled in the
// background show at once. It runs on every usage query and stream tick,
// which is the Invalidate-after-pull the syncer itself has no hook for.
func (s *Server) noticeSync() {
	if s.opts.Sync == nil {
		return
	}
	st := s.opts.Sync.Status()
	m := syncMark{st.LastAttempt.UnixNano(), st.LastSuccess.UnixNano(), st.NextAttempt.UnixNano(), st.Pulled, st.Failures}
	s.syncMu.Lock()
	changed := m != s.syncSeen
	s.syncSeen = m
	s.syncMu.Unlock()
	if changed {
		s.Invalidate()
	}
}

// notConfigured is the answer to a sync request without a database.
const notConfigured = "sync is not configured: set the PACKETBUDDY_DATABASE_URL environment variable, " +
	"or database_url in the [sync] section of the configuration file, then restart PacketBuddy"

func (s *Server) configuredSync(w http.ResponseWriter) (Sync, bool) {
	if s.opts.Sync == nil || !s.opts.Sync.Status().Configured {
		writeError(w, http.StatusConflict, notConfigured)
		return nil, false
	}
	return s.opts.Sync, true
}

// syncToggle is POST /api/sync: {"enabled": true|false}, persisted by the
// syncer.
func (s *Server) syncToggle(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if !s.readBody(w, r, &body, false) {
		return
	}
	if body.Enabled == nil {
		s.fail(w, r, badParam("enabled", `missing: want {"enabled": true} or {"enabled": false}`))
		return
	}
	sy, ok := s.configuredSync(w)
	if !ok {
		return
	}
	if err := sy.SetEnabled(r.Context(), *body.Enabled); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("sync switched from the dashboard", "enabled", *body.Enabled)
	s.hub.kick()
	writeJSON(w, http.StatusOK, s.syncState())
}

// syncNowTimeout bounds a cycle run on request; a longer backlog goes on
// in the background schedule from where it stopped.
var syncNowTimeout = 2 * time.Minute

// syncFailure is the body of a failed POST /api/sync/now.
type syncFailure struct {
	Error string    `json:"error"`
	Sync  SyncState `json:"sync"`
}

// syncNow is POST /api/sync/now: one cycle at once.
func (s *Server) syncNow(w http.ResponseWriter, r *http.Request) {
	var body struct{}
	if !s.readBody(w, r, &body, true) {
		return
	}
	sy, ok := s.configuredSync(w)
	if !ok {
		return
	}
	if !sy.Status().Enabled {
		writeError(w, http.StatusConflict, `sync is switched off: turn it on first (Settings, or POST /api/sync {"enabled": true})`)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), syncNowTimeout)
	defer cancel()
	err := sy.SyncNow(ctx)
	// Rows may have been pulled even by a cycle that failed later.
	s.Invalidate()
	s.hub.kick()
	st := s.syncState()
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, st)
	case errors.Is(err, cloudsync.ErrNotConfigured):
		writeError(w, http.StatusConflict, notConfigured)
	case errors.Is(err, cloudsync.ErrDisabled):
		writeError(w, http.StatusConflict, "sync is switched off: turn it on first")
	case r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
	case ctx.Err() != nil:
		writeJSON(w, http.StatusGatewayTimeout, syncFailure{Error: "sync did not finish within " + syncNowTimeout.String() + "; the scheduled sync continues where it stopped", Sync: st})
	default:
		// The syncer's status holds the redacted message.
		msg := st.LastError
		if msg == "" {
			msg = "see PacketBuddy's log"
		}
		writeJSON(w, http.StatusBadGateway, syncFailure{Error: "sync failed: " + msg, Sync: st})
	}
}
