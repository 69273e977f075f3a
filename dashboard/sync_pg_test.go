package dashboard

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

// The syncer is what the app passes as Options.Sync.
var _ Sync = (*cloudsync.Syncer)(nil)

// newPGDatabase creates an empty database for one test, dropped when it
// ends, and returns its URL; it skips (or fails, when required) without
// a server.
func newPGDatabase(t testing.TB) string {
	t.Helper()
	return testenv.NewPostgresDatabase(t, "pbtest_dash_")
}

// testPassword is put in the database URLs; trust authentication ignores
// it, and no API response may ever show it.
const testPassword = "Sup3r-Secret-pw"

func withPassword(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), testPassword)
	return u.String()
}

func newRealSyncer(t testing.TB, st *store.Store, dbURL string, enabled bool) *cloudsync.Syncer {
	t.Helper()
	sy, err := cloudsync.New(context.Background(), st, cloudsync.Options{
		Source:     cloudsync.Source{URL: dbURL, Origin: "test"},
		Enabled:    enabled,
		Conn:       cloudsync.ConnOptions{ConnectTimeout: 3 * time.Second, StatementTimeout: 5 * time.Second},
		AppVersion: "test",
		Now:        testenv.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return sy
}

// secretsIn reports which forms of the database URL or password a
// response body shows.
func secretsIn(body, dbURL string) []string {
	var found []string
	for _, s := range []string{testPassword, url.QueryEscape(testPassword), dbURL, "postgres://", "postgresql://", ":" + testPassword + "@"} {
		if strings.Contains(body, s) {
			found = append(found, s)
		}
	}
	return found
}

// TestRealSync joins the dashboard to a real syncer on a real PostgreSQL
// server: a second device pushes its usage, the dashboard switches sync
// on and runs a cycle, and the devices list and the all-devices totals
// are the exact sums. No response ever shows the database URL or its
// password.
func TestRealSync(t *testing.T) {
	t.Parallel()
	dbURL := withPassword(t, newPGDatabase(t))
	ctx := context.Background()

	// The other device: its own store with known usage, pushed.
	other, err := store.Open(ctx, t.TempDir(), store.Options{Location: time.UTC, Now: testenv.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	d := testToday().Start(time.UTC)
	if err := other.Flush(ctx, store.Batch{At: testenv.Now(), Deltas: []store.Delta{
		{NIC: "en0", Start: d.Add(3 * time.Hour).Unix(), Sent: 2_000_000, Recv: 3_000_000},
		{NIC: "en0", Start: d.Add(4 * time.Hour).Unix(), Sent: 250_000, Recv: 750_000},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.RenameDevice(ctx, "", `Ann's <laptop>`); err != nil {
		t.Fatal(err)
	}
	if err := newRealSyncer(t, other, dbURL, true).SyncNow(ctx); err != nil {
		t.Fatalf("other device's sync: %v", err)
	}

	e := newTestEnv(t)
	sy := newRealSyncer(t, e.st, dbURL, false)
	s := e.server(Options{Sync: sy})
	h := s.Handler()
	var bodies []string
	get := func(path string) string {
		w := do(t, h, req{path: path})
		if w.Code != 200 {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
		bodies = append(bodies, w.Body.String())
		return w.Body.String()
	}
	post := func(path, body string, code int) string {
		w := do(t, h, req{method: "POST", path: path, body: body, hdr: unsafeHeaders(e.token)})
		if w.Code != code {
			t.Fatalf("POST %s: %d, want %d: %s", path, w.Code, code, w.Body)
		}
		bodies = append(bodies, w.Body.String())
		return w.Body.String()
	}

	if h := decode[Health](t, do(t, h, req{path: "/api/health"})); h.Sync.State != cloudsync.SummaryOff || !h.Sync.Configured || h.Sync.Enabled {
		t.Errorf("before: sync %+v", h.Sync)
	}
	post("/api/sync/now", "", 409) // switched off
	before := decode[Usage](t, do(t, h, req{path: "/api/today?device=all"})).TotalBytes
	if before != 7_000_000 {
		t.Fatalf("all devices before sync %d", before)
	}

	post("/api/sync", `{"enabled": true}`, 200)
	if !sy.Enabled() {
		t.Fatal("SetEnabled not called")
	}
	post("/api/sync/now", "", 200)
	hl := decode[Health](t, do(t, h, req{path: "/api/health"}))
	if hl.Sync.State != cloudsync.SummaryOK || hl.Sync.LastSuccess.IsZero() || hl.Sync.Devices != 2 || hl.Sync.Pending != 0 {
		t.Errorf("after sync: %+v", hl.Sync)
	}
	get("/api/health")

	devs := decode[Devices](t, do(t, h, req{path: "/api/devices"}))
	get("/api/devices")
	if len(devs.Devices) != 2 || !devs.Devices[0].Local || devs.Devices[1].Name != `Ann's <laptop>` {
		t.Fatalf("devices %+v", devs.Devices)
	}
	if got := devs.Devices[1].Today.TotalBytes; got != 6_000_000 {
		t.Errorf("other device today %d, want 6000000", got)
	}
	if devs.All.Today.TotalBytes != 13_000_000 {
		t.Errorf("all devices today %d, want 13000000", devs.All.Today.TotalBytes)
	}
	// The answer cached before the pull is not served after it.
	if got := decode[Usage](t, do(t, h, req{path: "/api/today?device=all"})).TotalBytes; got != 13_000_000 {
		t.Errorf("/api/today?device=all %d, want the exact sum 13000000", got)
	}
	get("/api/today?device=all")
	get("/api/today?device=" + devs.Devices[1].ID)
	get("/api/summary?device=all")

	// The other device counts more and syncs; this one's background
	// cycle (not the dashboard's) pulls it, and the page sees it.
	if err := other.Flush(ctx, store.Batch{At: testenv.Now(), Deltas: []store.Delta{{NIC: "en0", Start: d.Add(3 * time.Hour).Unix(), Sent: 1000}}}); err != nil {
		t.Fatal(err)
	}
	if err := newRealSyncer(t, other, dbURL, true).SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sy.SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	if got := decode[Usage](t, do(t, h, req{path: "/api/today?device=all"})).TotalBytes; got != 13_001_000 {
		t.Errorf("after a background pull: %d, want 13001000", got)
	}

	post("/api/sync", `{"enabled": false}`, 200)
	if sy.Enabled() {
		t.Error("sync still on")
	}
	// Persisted: a new syncer on the same store starts switched off even
	// though its configuration says on.
	if newRealSyncer(t, e.st, dbURL, true).Enabled() {
		t.Error("the toggle did not persist")
	}
	for _, b := range bodies {
		if found := secretsIn(b, dbURL); len(found) > 0 {
			t.Errorf("a response shows %q: %s", found, b)
		}
	}
}

// TestRealSyncFailing points a real syncer at a closed port with a URL
// holding a password: the cycle fails, the API says so with the next
// retry, and no response shows the URL or the password.
func TestRealSyncFailing(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	dbURL := "postgres://pbuser:" + testPassword + "@" + addr + "/pbdb?sslmode=disable&password=" + url.QueryEscape(testPassword)
	e := newTestEnv(t)
	sy := newRealSyncer(t, e.st, dbURL, true)
	h := e.server(Options{Sync: sy}).Handler()
	var bodies []string
	w := do(t, h, req{method: "POST", path: "/api/sync/now", hdr: unsafeHeaders(e.token)})
	bodies = append(bodies, w.Body.String())
	if w.Code != 502 {
		t.Fatalf("sync now: %d %s", w.Code, w.Body)
	}
	fail := decode[syncFailure](t, w)
	if !strings.HasPrefix(fail.Error, "sync failed: ") || fail.Sync.State != cloudsync.SummaryFailing || fail.Sync.NextRetry.IsZero() || fail.Sync.LastError == "" {
		t.Errorf("failure %+v", fail)
	}
	for _, path := range []string{"/api/health", "/api/devices", "/api/today", "/api/openapi.json"} {
		w := do(t, h, req{path: path})
		bodies = append(bodies, w.Body.String())
	}
	hl := decode[Health](t, do(t, h, req{path: "/api/health"}))
	if hl.Sync.State != cloudsync.SummaryFailing || hl.Sync.LastError != fail.Sync.LastError || hl.Status != "ok" {
		t.Errorf("health %+v", hl)
	}
	w = do(t, h, req{method: "POST", path: "/api/sync", body: `{"enabled": true}`, hdr: unsafeHeaders(e.token)})
	bodies = append(bodies, w.Body.String())
	for _, b := range bodies {
		if found := secretsIn(b, dbURL); len(found) > 0 {
			t.Errorf("a response shows %q: %s", found, b)
		}
	}
}
