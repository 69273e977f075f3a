package cloudsync

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/config"
	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

func TestPushPullRoundTrip(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	a, b := newStore(t), newStore(t)
	aSent, aRecv := fill(t, a, []string{"eth0", "wlan0"}, baseTime, 300, 40, 1000)
	bSent, bRecv := fill(t, b, []string{"wlan0", "enp3s0"}, baseTime.Add(time.Hour), 250, 60, 5000)
	sa, sb := newSyncer(t, a, dbURL, nil), newSyncer(t, b, dbURL, nil)

	// A pushes, B pushes and pulls A, A pulls B.
	for i, s := range []*Syncer{sa, sb, sa} {
		if err := s.SyncNow(ctx); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	// More traffic on B after the first round, then another round.
	s2, r2 := fill(t, b, []string{"wlan0"}, baseTime.Add(2*time.Hour), 10, 10, 77)
	bSent, bRecv = bSent+s2, bRecv+r2
	for i, s := range []*Syncer{sb, sa} {
		if err := s.SyncNow(ctx); err != nil {
			t.Fatalf("sync round 2 %d: %v", i, err)
		}
	}

	remote := remoteBuckets(t, dbConn(t, dbURL))
	la, lb := localBuckets(t, a), localBuckets(t, b)
	sameBuckets(t, "device A's copy vs server", la, remote)
	sameBuckets(t, "device B's copy vs server", lb, remote)

	for _, st := range []*store.Store{a, b} {
		gotA, gotAR := lifetime(t, st, a.DeviceID())
		gotB, gotBR := lifetime(t, st, b.DeviceID())
		all, allR := lifetime(t, st, "all")
		if gotA != aSent || gotAR != aRecv || gotB != bSent || gotBR != bRecv {
			t.Errorf("store %s: A %d/%d want %d/%d, B %d/%d want %d/%d", st.DeviceID(), gotA, gotAR, aSent, aRecv, gotB, gotBR, bSent, bRecv)
		}
		if all != aSent+bSent || allR != aRecv+bRecv {
			t.Errorf("store %s: all devices %d/%d, want the exact sum %d/%d", st.DeviceID(), all, allR, aSent+bSent, aRecv+bRecv)
		}
	}
	devs, err := a.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || !devs[0].Local || devs[1].UUID != b.DeviceID() || devs[1].Platform == "" {
		t.Errorf("devices on A: %+v", devs)
	}
	if st := sa.Status(); st.State != StateIdle || st.Pending != 0 || st.Devices != 2 || st.LastSuccess.IsZero() {
		t.Errorf("status after sync: %+v", st)
	}
}

func TestRenameIsSynced(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	a, b := newStore(t), newStore(t)
	fill(t, a, []string{"eth0"}, baseTime, 4, 4, 1)
	fill(t, b, []string{"eth0"}, baseTime, 4, 4, 2)
	sa, sb := newSyncer(t, a, dbURL, nil), newSyncer(t, b, dbURL, nil)
	for _, s := range []*Syncer{sa, sb, sa} {
		if err := s.SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A renames B and itself; B learns both names, and B's own push does
	// not undo the rename.
	if _, err := a.RenameDevice(ctx, b.DeviceID(), "office desktop"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RenameDevice(ctx, "", "laptop"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Syncer{sa, sb, sb, sa} {
		if err := s.SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []*store.Store{a, b} {
		devs, err := st.Devices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{}
		for _, d := range devs {
			names[d.UUID] = d.Name
		}
		if names[a.DeviceID()] != "laptop" || names[b.DeviceID()] != "office desktop" {
			t.Errorf("store %s sees names %v", st.DeviceID(), names)
		}
	}
	// The scope resolves the new name.
	if _, err := b.Lifetime(ctx, nil, store.Scope{Device: "laptop"}); err != nil {
		t.Errorf("scope by synced name: %v", err)
	}
}

func TestPushReplayIsIdempotent(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	st := newStore(t)
	fill(t, st, []string{"eth0", "wlan0"}, baseTime, 600, 100, 42) // 1,200 buckets
	s := newSyncer(t, st, dbURL, func(o *Options) { o.BatchSize = 500 })

	// A crash after the server's COMMIT and before the local mark was
	// saved, on the second batch.
	crash := errors.New("simulated crash after commit")
	s.afterCommit = func(batch int) error {
		if batch == 2 {
			return crash
		}
		return nil
	}
	if err := s.SyncNow(ctx); !errors.Is(err, crash) {
		t.Fatalf("first sync: %v, want the simulated crash", err)
	}
	ack, err := st.PushAck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pending, _ := st.PendingCount(ctx); pending <= 500 || ack == 0 {
		t.Fatalf("after the crash: mark %d, %d pending; want batch 1 acknowledged, batch 2 still pending", ack, pending)
	}
	s.afterCommit = nil
	if err := s.SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	// The same batches pushed again, any number of times.
	for range 2 {
		if err := st.ResetPushAck(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c := dbConn(t, dbURL)
	sameBuckets(t, "server after replays", remoteBuckets(t, c), localBuckets(t, st))
	if st := s.Status(); st.Pending != 0 || st.Pushed != 1200 {
		t.Errorf("status: %+v", st)
	}
	// An exact replay does not create new row versions (nothing to pull).
	var xids int
	if err := c.QueryRow(ctx, `SELECT count(DISTINCT xid) FROM buckets`).Scan(&xids); err != nil {
		t.Fatal(err)
	}
	if xids > 3 {
		t.Errorf("replays rewrote unchanged rows: %d distinct writing transactions, want 3 (three batches)", xids)
	}
}

func TestBatchCutInsideOneChange(t *testing.T) {
	t.Parallel()
	// One flush (one change number) larger than a batch: the mark must not
	// pass it until all of it is on the server.
	dbURL := newDatabase(t)
	ctx := context.Background()
	st := newStore(t)
	fill(t, st, []string{"eth0"}, baseTime, 1000, 1000, 9) // one flush, 1,000 buckets
	s := newSyncer(t, st, dbURL, func(o *Options) { o.BatchSize = 300 })
	s.afterCommit = func(batch int) error {
		if batch == 2 {
			return errors.New("crash")
		}
		return nil
	}
	if err := s.SyncNow(ctx); err == nil {
		t.Fatal("expected the simulated crash")
	}
	if ack, _ := st.PushAck(ctx); ack != 0 {
		t.Fatalf("mark advanced to %d inside a partly pushed change", ack)
	}
	s.afterCommit = nil
	if err := s.SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.PendingCount(ctx); n != 0 {
		t.Fatalf("%d still pending", n)
	}
	sameBuckets(t, "server", remoteBuckets(t, dbConn(t, dbURL)), localBuckets(t, st))
}

// TestOutOfOrderCommitIsNotMissed is not parallel, nor is
// TestInterruptedPullResumes: a pull's horizon is the oldest transaction
// running anywhere on the server, so another test's open transaction holds
// it back and the next pull fetches more rows than these tests allow.
func TestOutOfOrderCommitIsNotMissed(t *testing.T) {
	dbURL := newDatabase(t)
	ctx := context.Background()
	st := newStore(t)
	s := newSyncer(t, st, dbURL, nil)
	if err := s.SyncNow(ctx); err != nil { // creates the schema
		t.Fatal(err)
	}
	admin := dbConn(t, dbURL)
	for _, q := range []string{
		`INSERT INTO devices (uuid, name, hostname, platform) VALUES ('11111111-1111-4111-8111-111111111111', 'slow', 'slow', 'linux/amd64')`,
		`INSERT INTO devices (uuid, name, hostname, platform) VALUES ('22222222-2222-4222-8222-222222222222', 'fast', 'fast', 'linux/amd64')`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	slow, fast := dbConn(t, dbURL), dbConn(t, dbURL)
	insert := `INSERT INTO buckets (device_id, nic, bucket_start, sent, recv)
		SELECT id, 'eth0', $2, $3, $3 FROM devices WHERE name = $1`
	// The slow transaction writes first (older xid) ...
	slowTx, err := slow.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slowTx.Rollback(ctx)
	if _, err := slowTx.Exec(ctx, insert, "slow", baseTime.Unix(), 111); err != nil {
		t.Fatal(err)
	}
	// ... a fast one writes later and commits first ...
	if _, err := fast.Exec(ctx, insert, "fast", baseTime.Unix(), 222); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	got := localBuckets(t, st)
	if len(got) != 1 {
		t.Fatalf("after the first pull: %v, want only the fast device's row", got)
	}
	// ... then the slow one commits, with its lower transaction id.
	if err := slowTx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	sameBuckets(t, "after the slow commit", localBuckets(t, st), remoteBuckets(t, admin))
	// And a pull with nothing new leaves everything as it is.
	if err := s.SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.Pulled != 0 {
		t.Errorf("idle pull fetched %d rows", st.Pulled)
	}
	all, _ := lifetime(t, st, "all")
	if all != 333 {
		t.Errorf("all-devices total %d, want 333", all)
	}
}

func TestPulledUpdatesKeepDayRollupExact(t *testing.T) {
	t.Parallel()
	// A bucket of another device that grows on the server must replace the
	// local copy, not add to it, and the per-day rollup must follow.
	dbURL := newDatabase(t)
	ctx := context.Background()
	a, b := newStore(t), newStore(t)
	sa, sb := newSyncer(t, a, dbURL, nil), newSyncer(t, b, dbURL, nil)
	var wantS, wantR uint64
	for round := range 4 {
		s, r := fill(t, a, []string{"eth0"}, baseTime.Add(time.Duration(round)*5*time.Minute), 3, 1, uint64(round+1))
		wantS, wantR = wantS+s, wantR+r
		if err := sa.SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
		if err := sb.SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
		gs, gr := lifetime(t, b, a.DeviceID())
		if gs != wantS || gr != wantR {
			t.Fatalf("round %d: B sees A at %d/%d, want %d/%d", round, gs, gr, wantS, wantR)
		}
	}
}

func TestNewerRemoteSchemaIsRefused(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	st := newStore(t)
	fill(t, st, []string{"eth0"}, baseTime, 10, 10, 1)
	admin := dbConn(t, dbURL)
	for _, q := range []string{
		`CREATE SCHEMA packetbuddy`,
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO schema_migrations (version, name) VALUES (` + strconv.Itoa(SchemaVersion()+1) + `, 'from the future')`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s := newSyncer(t, st, dbURL, nil)
	err := s.SyncNow(ctx)
	if !errors.Is(err, ErrSchemaNewer) || !IsPermanent(err) {
		t.Fatalf("sync against a newer schema: %v, want a permanent ErrSchemaNewer", err)
	}
	var tables int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'packetbuddy'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 1 {
		t.Errorf("the newer schema was touched: %d tables", tables)
	}
	if n, _ := st.PendingCount(ctx); n != 10 {
		t.Errorf("local mark moved: %d pending, want 10", n)
	}
	status := s.Status()
	if status.State != StateFailed || !status.Permanent || status.LastError == "" {
		t.Errorf("status: %+v", status)
	}
	if w, ok := s.nextWait(); ok {
		t.Errorf("a retry is scheduled in %s after a permanent error", w)
	}
}

func TestConcurrentFirstStartsMigrateOnce(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		st := newStore(t)
		fill(t, st, []string{"eth0"}, baseTime, 5, 5, 3)
		s := newSyncer(t, st, dbURL, nil)
		wg.Go(func() { errs <- s.SyncNow(ctx) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent first sync: %v", err)
		}
	}
	var versions, devices, buckets int
	c := dbConn(t, dbURL)
	if err := c.QueryRow(ctx, `SELECT (SELECT count(*) FROM schema_migrations), (SELECT count(*) FROM devices), (SELECT count(*) FROM buckets)`).Scan(&versions, &devices, &buckets); err != nil {
		t.Fatal(err)
	}
	if versions != SchemaVersion() || devices != 8 || buckets != 40 {
		t.Errorf("after 8 concurrent starts: %d migrations, %d devices, %d buckets; want %d, 8, 40", versions, devices, buckets, SchemaVersion())
	}
}

func TestServerChangeResetsMarks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	fill(t, st, []string{"eth0"}, baseTime, 20, 20, 1)
	first, second := newDatabase(t), newDatabase(t)
	if err := newSyncer(t, st, first, nil).SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	// The user points the app at another, empty server: everything goes
	// there too.
	if err := newSyncer(t, st, second, nil).SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	sameBuckets(t, "second server", remoteBuckets(t, dbConn(t, second)), localBuckets(t, st))
}

func TestToggleIsPersisted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	s := newSyncer(t, st, "postgres://u@127.0.0.1:1/x?sslmode=disable", nil)
	if err := s.SetEnabled(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncNow(ctx); !errors.Is(err, ErrDisabled) {
		t.Errorf("sync while disabled: %v", err)
	}
	// A new syncer (an app restart) with enabled = true in the config still
	// sees the runtime choice.
	s2 := newSyncer(t, st, "postgres://u@127.0.0.1:1/x?sslmode=disable", nil)
	if s2.Enabled() || s2.Status().State != StateDisabled {
		t.Errorf("after restart: %+v", s2.Status())
	}
	saved, err := SavedStatus(ctx, st, Options{Enabled: true})
	if err != nil || saved.Enabled {
		t.Errorf("SavedStatus: %+v, %v", saved, err)
	}
	if err := s2.SetEnabled(ctx, true); err != nil {
		t.Fatal(err)
	}
	if !newSyncer(t, st, "", func(o *Options) { o.Enabled = false }).Enabled() {
		t.Error("enabled toggle not persisted")
	}
	if got := newSyncer(t, st, "", nil).Status().State; got != StateNotConfigured {
		t.Errorf("without a URL: state %q", got)
	}
}

func TestRunSyncsSoonAndOnInterval(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	st := newStore(t)
	fill(t, st, []string{"eth0"}, baseTime, 10, 10, 1)
	s := newSyncer(t, st, dbURL, func(o *Options) {
		o.StartDelay = 10 * time.Millisecond
		o.Interval = 200 * time.Millisecond
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, 10*time.Second, func() bool { return !s.Status().LastSuccess.IsZero() })
	first := s.Status().LastSuccess
	fill(t, st, []string{"eth0"}, baseTime.Add(24*time.Hour), 5, 5, 1)
	waitFor(t, 10*time.Second, func() bool { return s.Status().LastSuccess.After(first) && s.Status().Pending == 0 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	sameBuckets(t, "server", remoteBuckets(t, dbConn(t, dbURL)), localBuckets(t, st))
}

func waitFor(t testing.TB, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigErrorIsShownNotRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := dir + "/config.toml"
	if err := os.WriteFile(path, []byte("[sync]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Sync{Enabled: true, DatabaseURL: "postgres://pb:Hunter2pw@db.example.com/pb?sslmode=require"}
	src, srcErr := ResolveURL(cfg, path, func(string) string { return "" })
	if !errors.Is(srcErr, ErrConfigPermissions) {
		t.Fatalf("ResolveURL: %v", srcErr)
	}
	st := newStore(t)
	s := newSyncer(t, st, src.URL, func(o *Options) { o.ConfigError = srcErr })
	status := s.Status()
	if status.State != StateFailed || !status.Permanent || !strings.Contains(status.LastError, "chmod 600") {
		t.Errorf("status: %+v", status)
	}
	if err := s.SyncNow(ctx); !errors.Is(err, ErrConfigPermissions) {
		t.Errorf("SyncNow: %v", err)
	}
	if _, ok := s.nextWait(); ok {
		t.Error("a retry is scheduled")
	}
	if n, _ := st.PendingCount(ctx); n != 0 {
		t.Errorf("pending %d", n)
	}
}

func TestInsecureURLIsRefusedBeforeConnecting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	fill(t, st, []string{"eth0"}, baseTime, 3, 3, 1)
	// db.example.invalid never resolves; the refusal must come first.
	s := newSyncer(t, st, "postgres://pb:pw@db.example.invalid/pb?sslmode=disable", nil)
	start := time.Now()
	err := s.SyncNow(ctx)
	if !errors.Is(err, ErrInsecure) || !IsPermanent(err) {
		t.Fatalf("SyncNow: %v, want a permanent ErrInsecure", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusal took %s: did it try to connect?", d)
	}
	if n, _ := st.PendingCount(ctx); n != 3 {
		t.Errorf("local mark moved: %d pending", n)
	}
	if got := s.Status(); got.State != StateFailed {
		t.Errorf("status %+v", got)
	}
}

func TestInterruptedPullResumes(t *testing.T) {
	dbURL := newDatabase(t)
	a, b := newStore(t), newStore(t)
	// A pushes 1,000 buckets in ten transactions of 100.
	fill(t, a, []string{"eth0"}, baseTime, 1000, 1000, 5)
	sa := newSyncer(t, a, dbURL, func(o *Options) { o.BatchSize = 100 })
	if err := sa.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	// B's first pull is cut off after three batches.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sb := newSyncer(t, b, dbURL, func(o *Options) {
		o.BatchSize = 100
		o.OnProgress = func(p Progress) {
			if p.Phase == "pull" && p.Done >= 300 {
				cancel()
			}
		}
	})
	if err := sb.SyncNow(ctx); err == nil {
		t.Fatal("the interrupted pull succeeded")
	}
	if got := len(onlyDevice(localBuckets(t, b), a.DeviceID())); got < 300 || got >= 1000 {
		t.Fatalf("after the interruption B has %d of A's buckets", got)
	}
	sb.opts.OnProgress = nil
	if err := sb.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pulled := sb.Status().Pulled; pulled > 800 {
		t.Errorf("the resumed pull fetched %d rows: it started over", pulled)
	}
	sameBuckets(t, "B after resuming", onlyDevice(localBuckets(t, b), a.DeviceID()), localBuckets(t, a))
}

func TestRunBacksOffAndToggleWakesIt(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	// Nothing listens on port 1: every cycle fails with a retryable error.
	s := newSyncer(t, st, "postgres://pb@127.0.0.1:1/pb?sslmode=disable", func(o *Options) {
		o.StartDelay = 10 * time.Millisecond
		o.Interval = 20 * time.Millisecond
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, 10*time.Second, func() bool { return s.Status().Failures == 1 })
	first := s.Status()
	if first.State != StateRetrying || first.NextAttempt.Sub(testenv.Now()) < 50*time.Second {
		t.Errorf("after one failure: %+v", first)
	}
	time.Sleep(300 * time.Millisecond)
	if got := s.Status(); got.Failures != 1 || !got.LastAttempt.Equal(first.LastAttempt) {
		t.Errorf("Run retried before the backoff: %+v", got)
	}
	// Switching sync off and on again retries at once.
	if err := s.SetEnabled(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEnabled(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return s.Status().LastAttempt.After(first.LastAttempt) })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestRestartRetriesAfterPermanentError(t *testing.T) {
	t.Parallel()
	// A permanent error stops the retries of this run, but the user may fix
	// its cause (a newer app, a granted permission) and restart: the next
	// run tries again, while "sync status" from another process still shows
	// what the app saw.
	ctx := context.Background()
	st := newStore(t)
	s := newSyncer(t, st, "postgres://pb:pw@db.example.invalid/pb?sslmode=disable", nil)
	if err := s.SyncNow(ctx); !IsPermanent(err) {
		t.Fatalf("SyncNow: %v", err)
	}
	saved, err := SavedStatus(ctx, st, s.opts)
	if err != nil || saved.State != StateFailed || saved.LastError == "" {
		t.Fatalf("saved status: %+v %v", saved, err)
	}
	again := newSyncer(t, st, "postgres://pb:pw@db.example.invalid/pb?sslmode=require", nil)
	if got := again.Status(); got.State != StateIdle || got.Permanent {
		t.Errorf("after a restart: %+v", got)
	}
	if _, ok := again.nextWait(); ok {
		t.Error("scheduled before Run")
	}
}

func TestRepeatedCyclesDoNotBurnDeviceIDs(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	st := newStore(t)
	s := newSyncer(t, st, dbURL, nil)
	for range 20 {
		if err := s.SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var last int64
	if err := dbConn(t, dbURL).QueryRow(ctx, `SELECT last_value FROM pg_sequences WHERE sequencename = 'devices_id_seq'`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if last != 1 {
		t.Errorf("20 cycles of one device moved the id sequence to %d: it would run out in a large fleet", last)
	}
}
