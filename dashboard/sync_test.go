package dashboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

// fakeSync is a hand-written Sync: it keeps the toggle like the syncer
// does and runs syncNow as its cycle.
type fakeSync struct {
	mu      sync.Mutex
	st      cloudsync.Status
	setErr  error
	toggles []bool
	runs    int
	// syncNow is the cycle; nil succeeds without doing anything.
	syncNow func(ctx context.Context) error
}

func (f *fakeSync) Status() cloudsync.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fakeSync) SetEnabled(ctx context.Context, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	f.toggles = append(f.toggles, on)
	f.st.Enabled = on
	f.st.State = cloudsync.StateIdle
	if !on {
		f.st.State = cloudsync.StateDisabled
	}
	return nil
}

func (f *fakeSync) SyncNow(ctx context.Context) error {
	f.mu.Lock()
	f.runs++
	run := f.syncNow
	f.st.LastAttempt = testenv.Now()
	f.mu.Unlock()
	var err error
	if run != nil {
		err = run(ctx)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.st.Failures++
		f.st.LastError = err.Error()
		f.st.State = cloudsync.StateRetrying
		f.st.NextAttempt = testenv.Now().Add(time.Minute)
		return err
	}
	f.st.Failures, f.st.LastError, f.st.State = 0, "", cloudsync.StateIdle
	f.st.LastSuccess = testenv.Now()
	return nil
}

// calls returns the SetEnabled arguments so far and the number of cycles.
func (f *fakeSync) calls() (toggles []bool, runs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.toggles...), f.runs
}

func configuredSync(enabled bool) *fakeSync {
	st := cloudsync.Status{Configured: true, Enabled: enabled, State: cloudsync.StateIdle}
	if !enabled {
		st.State = cloudsync.StateDisabled
	}
	return &fakeSync{st: st}
}

func TestSyncToggle(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ok := unsafeHeaders(e.token)
	tests := []struct {
		name    string
		sync    *fakeSync // nil: no syncer at all
		body    string
		hdr     map[string]string
		code    int
		errPart string // in the error message
		toggled []bool
		state   string
	}{
		{name: "switch on", sync: configuredSync(false), body: `{"enabled": true}`, code: 200, toggled: []bool{true}, state: cloudsync.SummaryOK},
		{name: "switch off", sync: configuredSync(true), body: `{"enabled": false}`, code: 200, toggled: []bool{false}, state: cloudsync.SummaryOff},
		{name: "no syncer", body: `{"enabled": true}`, code: 409, errPart: "PACKETBUDDY_DATABASE_URL"},
		{name: "not configured", sync: &fakeSync{st: cloudsync.Status{State: cloudsync.StateNotConfigured}}, body: `{"enabled": true}`, code: 409, errPart: "database_url"},
		{name: "missing field", sync: configuredSync(false), body: `{}`, code: 400, errPart: "enabled: missing"},
		{name: "empty body", sync: configuredSync(false), body: ``, code: 400, errPart: "bad JSON body"},
		{name: "not a boolean", sync: configuredSync(false), body: `{"enabled": "yes"}`, code: 400, errPart: "bad JSON body"},
		{name: "unknown field", sync: configuredSync(false), body: `{"enabled": true, "url": "x"}`, code: 400, errPart: "unknown field"},
		{name: "two values", sync: configuredSync(false), body: `{"enabled": true} {}`, code: 400, errPart: "more than one value"},
		{name: "oversize body", sync: configuredSync(false), body: `{"enabled": true, "x": "` + strings.Repeat("x", maxBodyBytes) + `"}`, code: 413},
		{name: "no token", sync: configuredSync(false), body: `{"enabled": true}`, hdr: map[string]string{TokenHeader: ""}, code: 403},
		{name: "cross-site", sync: configuredSync(false), body: `{"enabled": true}`, hdr: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, code: 403},
		{name: "form-encoded", sync: configuredSync(false), body: `enabled=true`, hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, code: 415},
		{name: "save fails", sync: &fakeSync{st: cloudsync.Status{Configured: true}, setErr: errors.New("disk full at /secret/path")}, body: `{"enabled": true}`, code: 500, errPart: "internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sy Sync
			if tc.sync != nil {
				sy = tc.sync
			}
			h := e.server(Options{Sync: sy}).Handler()
			hdr := map[string]string{}
			for k, v := range ok {
				hdr[k] = v
			}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			w := do(t, h, req{method: "POST", path: "/api/sync", body: tc.body, hdr: hdr})
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			checkSecurityHeaders(t, w.Header())
			if tc.code != 200 {
				msg := decode[apiError](t, w).Error
				if !strings.Contains(msg, tc.errPart) {
					t.Errorf("error %q lacks %q", msg, tc.errPart)
				}
				if strings.Contains(msg, "/secret/path") {
					t.Errorf("error leaks internals: %q", msg)
				}
			} else if got := decode[SyncState](t, w); got.State != tc.state || got.Enabled != tc.toggled[0] {
				t.Errorf("answer %+v, want state %s", got, tc.state)
			}
			if tc.sync != nil {
				if toggles, _ := tc.sync.calls(); fmt.Sprint(toggles) != fmt.Sprint(tc.toggled) {
					t.Errorf("SetEnabled calls %v, want %v", toggles, tc.toggled)
				}
			}
		})
	}
}

func TestSyncNow(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	hdr := unsafeHeaders(e.token)
	failing := configuredSync(true)
	failing.syncNow = func(context.Context) error { return errors.New("dial tcp 127.0.0.1:1: connection refused") }
	tests := []struct {
		name    string
		sync    *fakeSync
		body    string
		code    int
		errPart string
		runs    int
	}{
		{name: "runs a cycle", sync: configuredSync(true), code: 200, runs: 1},
		{name: "empty object body", sync: configuredSync(true), body: "{}", code: 200, runs: 1},
		{name: "switched off", sync: configuredSync(false), code: 409, errPart: "switched off"},
		{name: "not configured", sync: &fakeSync{st: cloudsync.Status{Enabled: true}}, code: 409, errPart: "PACKETBUDDY_DATABASE_URL"},
		{name: "bad body", sync: configuredSync(true), body: "[1]", code: 400, errPart: "bad JSON body"},
		{name: "cycle fails", sync: failing, code: 502, errPart: "sync failed: dial tcp 127.0.0.1:1: connection refused", runs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := e.server(Options{Sync: tc.sync}).Handler()
			w := do(t, h, req{method: "POST", path: "/api/sync/now", body: tc.body, hdr: hdr})
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if tc.errPart != "" {
				if msg := decode[apiError](t, w).Error; !strings.Contains(msg, tc.errPart) {
					t.Errorf("error %q lacks %q", msg, tc.errPart)
				}
			}
			if tc.code == 502 {
				if got := decode[syncFailure](t, w).Sync; got.State != cloudsync.SummaryFailing || got.NextRetry.IsZero() {
					t.Errorf("failure body's sync %+v", got)
				}
			}
			if _, runs := tc.sync.calls(); runs != tc.runs {
				t.Errorf("%d cycles, want %d", runs, tc.runs)
			}
		})
	}
	t.Run("no syncer", func(t *testing.T) {
		w := do(t, e.server(Options{}).Handler(), req{method: "POST", path: "/api/sync/now", hdr: hdr})
		if w.Code != 409 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

// pullDevice stores another device and its buckets as a sync pull does.
func pullDevice(t testing.TB, st *store.Store, d store.Device, buckets ...store.SyncBucket) {
	t.Helper()
	for i := range buckets {
		buckets[i].Device = d.UUID
	}
	if err := st.ApplyPulled(context.Background(), []store.Device{d}, buckets); err != nil {
		t.Fatal(err)
	}
}

// TestSyncNowInvalidates checks that rows a cycle pulls show at once, both
// when the dashboard ran the cycle and when the syncer ran it on its own
// schedule (the cache is dropped when a cycle ends).
func TestSyncNowInvalidates(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	laptop := store.Device{UUID: "3b0c6a52-6f7e-4c1b-9a53-7f1d2c9e0a11", Name: "laptop", Platform: "darwin/arm64", LastSeen: testenv.Now()}
	start := testToday().Start(time.UTC).Add(2 * time.Hour).Unix()
	fs := configuredSync(true)
	fs.syncNow = func(context.Context) error {
		pullDevice(t, e.st, laptop, store.SyncBucket{NIC: "en0", Start: start, Sent: 100, Recv: 900})
		return nil
	}
	s := e.server(Options{Sync: fs})
	h := s.Handler()
	all := func() uint64 { return decode[Usage](t, do(t, h, req{path: "/api/today?device=all"})).TotalBytes }
	if got := all(); got != 7_000_000 {
		t.Fatalf("all devices today %d before sync", got)
	}
	if w := do(t, h, req{method: "POST", path: "/api/sync/now", hdr: unsafeHeaders(e.token)}); w.Code != 200 {
		t.Fatalf("sync now: %d %s", w.Code, w.Body)
	}
	if got := all(); got != 7_001_000 {
		t.Errorf("all devices today %d after the dashboard's sync, want 7001000", got)
	}

	// A background cycle (the syncer's own schedule) pulls more.
	fs.syncNow = func(context.Context) error {
		pullDevice(t, e.st, laptop, store.SyncBucket{NIC: "en0", Start: start, Sent: 200, Recv: 1800})
		return nil
	}
	if err := fs.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := all(); got != 7_002_000 {
		t.Errorf("all devices today %d after a background sync, want 7002000", got)
	}
}
