package cloudsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/packetbuddy/store"
)

// Store is what the syncer needs of the local database (*store.Store).
type Store interface {
	DeviceID() string
	LocalDevice(ctx context.Context) (store.Device, error)
	PendingBuckets(ctx context.Context, c store.PushCursor, limit int) ([]store.SyncBucket, store.PushCursor, error)
	PendingCount(ctx context.Context) (int64, error)
	AckPush(ctx context.Context, seq int64) error
	ResetPushAck(ctx context.Context) error
	PendingRenames(ctx context.Context) (map[string]string, error)
	RenamePushed(ctx context.Context, uuid, name string) error
	ApplyPulled(ctx context.Context, devs []store.Device, buckets []store.SyncBucket) error
	SetLocalDeviceInfo(ctx context.Context, appVersion string, firstSeen, lastSeen time.Time) error
	GetMeta(ctx context.Context, key string) (string, bool, error)
	SetMeta(ctx context.Context, key, value string) error
}

// Meta keys kept in the local database.
const (
	metaEnabled  = "sync_enabled"  // runtime toggle, "1" or "0"; overrides the config
	metaPullXID  = "sync_pull_xid" // pull horizon: rows with xid >= it are pulled next time
	metaServerID = "sync_server"   // server_info.server_id the marks belong to
	metaStatus   = "sync_status"   // the last Status, JSON, for "packetbuddy sync status"
)

// Defaults of Options.
const (
	DefaultInterval   = time.Minute
	DefaultBatchSize  = 5000
	DefaultStartDelay = 10 * time.Second
)

// Options are the optional settings of New; the zero value is usable.
type Options struct {
	// Source is the database; an empty URL leaves sync "not configured".
	Source Source
	// ConfigError is the error ResolveURL returned, if any (a config file
	// others can read): the syncer then shows it as a permanent failure
	// and never connects.
	ConfigError error
	// Enabled is the configured on/off, used until the runtime toggle
	// (SetEnabled) has been saved once.
	Enabled bool
	// Interval between successful cycles; default 60 s.
	Interval time.Duration
	// StartDelay is the wait before the first cycle; default 10 s.
	StartDelay time.Duration
	// Conn sets TLS policy, timeouts and the remote schema name.
	Conn ConnOptions
	// OpTimeout bounds one round trip of a batch on the client side (a
	// stalled network); default twice the statement timeout.
	OpTimeout time.Duration
	// BatchSize is the rows per push transaction and per local pull
	// transaction; default 5000.
	BatchSize int
	// AppVersion is recorded in the devices table.
	AppVersion string
	// OnProgress, when set, is called after every batch of SyncNow.
	OnProgress func(Progress)
	// Logger gets failures and changes of server; default discards.
	Logger *slog.Logger
	// Now is the clock of the status and the schedule; default time.Now.
	Now func() time.Time
}

// Progress reports a running cycle.
type Progress struct {
	Phase string // "push" or "pull"
	Done  int64  // rows so far in this phase
	Total int64  // rows to push (push only; 0 when unknown)
}

// Syncer pushes this device's buckets to PostgreSQL and pulls the other
// devices' buckets into the local store. Run owns its loop; SyncNow,
// SetEnabled and Status may be called from any goroutine.
type Syncer struct {
	st   Store
	opts Options
	log  *slog.Logger
	sec  []string   // the URL's secrets, scrubbed from every message
	set  txSettings // the schema and timeouts of every transaction

	cycleMu sync.Mutex    // one cycle at a time
	wake    chan struct{} // tells Run to read the schedule again

	mu     sync.Mutex // guards the fields below
	status Status
	rng    *rand.Rand

	// Test hooks, nil in production: called inside the push transaction
	// before COMMIT, and after COMMIT before the local mark is saved (an
	// error there simulates a crash between the two).
	beforeCommit func(ctx context.Context, conn *pgx.Conn, batch int) error
	afterCommit  func(batch int) error
}

// New returns a Syncer for st. It reads the saved runtime toggle and the
// last status from the store.
func New(ctx context.Context, st Store, opts Options) (*Syncer, error) {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.StartDelay <= 0 {
		opts.StartDelay = DefaultStartDelay
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Conn.StatementTimeout <= 0 {
		opts.Conn.StatementTimeout = DefaultStatementTimeout
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = 2 * opts.Conn.StatementTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Conn.Schema == "" {
		opts.Conn.Schema = DefaultSchema
	}
	s := &Syncer{
		st: st, opts: opts, log: opts.Logger, sec: secrets(opts.Source.URL),
		set:  txSettings{schema: opts.Conn.Schema, statementTimeout: opts.Conn.StatementTimeout},
		wake: make(chan struct{}, 1),
		rng:  rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	saved, err := SavedStatus(ctx, st, opts)
	if err != nil {
		return nil, err
	}
	s.status = saved
	// A start is a fresh attempt: the user may have fixed what failed.
	s.status.NextAttempt = time.Time{}
	if opts.ConfigError == nil {
		s.status.Permanent, s.status.Failures = false, 0
	}
	s.status.State = s.idleState()
	return s, nil
}

// idleState is the state between cycles; s.mu must be held.
func (s *Syncer) idleState() string { return stateOf(s.status) }

// Status returns a copy of the current status.
func (s *Syncer) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Enabled reports the effective on/off.
func (s *Syncer) Enabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status.Enabled
}

// SetEnabled switches sync on or off and saves the choice; switching on
// after a permanent error tries again at once.
func (s *Syncer) SetEnabled(ctx context.Context, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	if err := s.st.SetMeta(ctx, metaEnabled, v); err != nil {
		return fmt.Errorf("save sync toggle: %w", err)
	}
	s.mu.Lock()
	was := s.status.Enabled
	s.status.Enabled = on
	if on && (!was || s.status.Permanent) {
		s.status.Permanent = false
		s.status.Failures = 0
		s.status.NextAttempt = s.opts.Now()
	}
	if s.status.State != StateSyncing {
		s.status.State = s.idleState()
	}
	s.mu.Unlock()
	s.log.Info("sync switched", "enabled", on)
	s.nudge()
	return nil
}

// nudge tells Run to read the schedule again.
func (s *Syncer) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run syncs soon after start, then every interval, backing off after
// failures, until ctx ends. It returns nil when ctx ends: a sync failure is
// never fatal to the app.
func (s *Syncer) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.status.NextAttempt.IsZero() {
		s.status.NextAttempt = s.opts.Now().Add(s.opts.StartDelay)
	}
	s.mu.Unlock()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, ok := s.nextWait()
		timer.Stop()
		var tc <-chan time.Time
		if ok {
			timer.Reset(max(wait, 0))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
			continue
		case <-tc:
		}
		if err := s.attempt(ctx, nil); err != nil && ctx.Err() != nil {
			return nil
		}
	}
}

// nextWait is the time until the next scheduled cycle; ok is false when
// nothing is scheduled (disabled, not configured, permanent failure).
func (s *Syncer) nextWait() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.status.Configured || !s.status.Enabled || s.status.Permanent || s.status.NextAttempt.IsZero() {
		return 0, false
	}
	return s.status.NextAttempt.Sub(s.opts.Now()), true
}

// SyncNow runs one cycle at once and returns its error. It fails with
// ErrNotConfigured or ErrDisabled when sync is not set up or switched off.
func (s *Syncer) SyncNow(ctx context.Context) error {
	return s.attempt(ctx, s.opts.OnProgress)
}

// attempt runs a cycle and records the outcome in the status and the
// schedule.
func (s *Syncer) attempt(ctx context.Context, progress func(Progress)) error {
	if err := s.ready(); err != nil {
		return err
	}
	s.cycleMu.Lock()
	defer s.cycleMu.Unlock()
	s.markSyncing()
	res, err := s.cycle(ctx, progress)
	err = s.redactError(err)
	st := s.record(ctx, res, err)
	s.logOutcome(ctx, st, res, err)
	s.saveStatus(ctx, st)
	s.nudge()
	return err
}

// ready returns why no cycle may run: sync is not configured, switched off,
// or configured in a file others can read (a permanent failure).
func (s *Syncer) ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.status.Configured:
		return fmt.Errorf("%w: set %s or [sync] database_url", ErrNotConfigured, EnvDatabaseURL)
	case !s.status.Enabled:
		return fmt.Errorf("%w: turn it on in the tray or dashboard, or set [sync] enabled = true", ErrDisabled)
	case s.opts.ConfigError != nil:
		s.status.Permanent = true
		s.status.LastError = redactMessage(s.opts.ConfigError.Error(), s.sec)
		s.status.State = s.idleState()
		return s.opts.ConfigError
	}
	return nil
}

// markSyncing shows a cycle as started.
func (s *Syncer) markSyncing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.State = StateSyncing
	s.status.LastAttempt = s.opts.Now()
}

// redactError returns err with the message that may be shown (see
// redactMessage), still matching what err matched with errors.Is and As.
func (s *Syncer) redactError(err error) error {
	if err == nil {
		return nil
	}
	if msg := redactMessage(err.Error(), s.sec); msg != err.Error() {
		return &scrubbedError{msg: msg, err: err}
	}
	return err
}

// record keeps the outcome of a cycle in the status, schedules the next
// one and returns the new status.
func (s *Syncer) record(ctx context.Context, res cycleResult, err error) Status {
	pending, perr := s.st.PendingCount(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.status.Pushed, s.status.Pulled = res.pushed, res.pulled
	if res.devices > 0 {
		s.status.Devices = res.devices
	}
	if perr == nil {
		s.status.Pending = pending
	}
	switch {
	case err == nil:
		s.status.LastSuccess = now
		s.status.LastError = ""
		s.status.Permanent = false
		s.status.Failures = 0
		s.status.NextAttempt = now.Add(s.opts.Interval)
	case ctx.Err() != nil:
		// Shutting down or the caller gave up: not a server failure.
		s.status.NextAttempt = now.Add(s.opts.StartDelay)
	case IsPermanent(err):
		s.status.LastError = err.Error()
		s.status.Permanent = true
		s.status.NextAttempt = time.Time{}
	default:
		s.status.LastError = err.Error()
		s.status.Failures++
		s.status.NextAttempt = now.Add(backoff(s.status.Failures, s.rng))
	}
	s.status.State = s.idleState()
	return s.status
}

// logOutcome logs a cycle's end; a cancelled cycle is not a failure.
func (s *Syncer) logOutcome(ctx context.Context, st Status, res cycleResult, err error) {
	switch {
	case err == nil:
		s.log.Debug("sync done", "pushed", res.pushed, "pulled", res.pulled, "devices", res.devices)
	case ctx.Err() != nil:
	case st.Permanent:
		s.log.Error("sync stopped; fix the cause, then turn sync on again", "target", st.Target, "err", st.LastError)
	default:
		s.log.Warn("sync failed; will retry", "target", st.Target, "err", st.LastError, "retry_at", st.NextAttempt.Format(time.RFC3339))
	}
}

// saveStatus keeps st in the local database for "packetbuddy sync status",
// which runs in another process.
func (s *Syncer) saveStatus(ctx context.Context, st Status) {
	b, err := json.Marshal(st)
	if err != nil {
		return
	}
	// A fresh context: a cancelled cycle still records how it ended.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.st.SetMeta(ctx, metaStatus, string(b)); err != nil {
		s.log.Debug("save sync status", "err", err)
	}
}

// cycleResult counts what a cycle moved.
type cycleResult struct {
	pushed, pulled int64
	devices        int
}

// cycle connects, migrates, pushes and pulls.
func (s *Syncer) cycle(ctx context.Context, progress func(Progress)) (res cycleResult, err error) {
	cfg, err := ParseConn(s.opts.Source.URL, s.opts.Conn)
	if err != nil {
		return res, err
	}
	conn, err := connect(ctx, cfg, s.sec)
	if err != nil {
		return res, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	opCtx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	err = migrate(opCtx, conn, s.set)
	cancel()
	if err != nil {
		return res, err
	}
	devID, err := s.registerDevice(ctx, conn)
	if err != nil {
		return res, err
	}
	if res.pushed, err = s.push(ctx, conn, devID, progress); err != nil {
		return res, err
	}
	res.pulled, res.devices, err = s.pull(ctx, conn, devID, progress)
	return res, err
}

// registerDevice makes sure the server knows this device, pushes pending
// renames and, when the server is not the one the marks belong to, resets
// the marks. It returns the server's id for this device.
func (s *Syncer) registerDevice(ctx context.Context, conn *pgx.Conn) (int32, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	tx, err := s.set.begin(ctx, conn, pgx.TxOptions{})
	if err != nil {
		return 0, fmt.Errorf("register device: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := s.followServer(ctx, tx); err != nil {
		return 0, err
	}
	me, err := s.upsertDevice(ctx, tx)
	if err != nil {
		return 0, err
	}
	renames, err := s.pushRenames(ctx, tx)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("register device: %w", err)
	}
	// Only after COMMIT: a failed one leaves the renames pending.
	if err := s.st.SetLocalDeviceInfo(ctx, s.opts.AppVersion, me.firstSeen, me.lastSeen); err != nil {
		return 0, err
	}
	for uuid, name := range renames {
		if err := s.st.RenamePushed(ctx, uuid, name); err != nil {
			return 0, err
		}
	}
	return me.id, nil
}

// followServer resets the push and pull marks when the server is not the
// one they were kept for (the user pointed the app at another database),
// so that everything goes to the new one.
func (s *Syncer) followServer(ctx context.Context, tx pgx.Tx) error {
	var serverID string
	if err := tx.QueryRow(ctx, `SELECT server_id::text FROM server_info`).Scan(&serverID); err != nil {
		return fmt.Errorf("read server id: %w", err)
	}
	known, _, err := s.st.GetMeta(ctx, metaServerID)
	if err != nil {
		return err
	}
	if known == serverID {
		return nil
	}
	if known != "" {
		s.log.Info("sync server changed; pushing everything again", "target", s.opts.Source.Redacted())
	}
	if err := s.st.ResetPushAck(ctx); err != nil {
		return err
	}
	if err := s.st.SetMeta(ctx, metaPullXID, "0"); err != nil {
		return err
	}
	return s.st.SetMeta(ctx, metaServerID, serverID)
}

// registeredDevice is this device as the server's devices table has it.
type registeredDevice struct {
	id                  int32
	firstSeen, lastSeen time.Time
}

// upsertDevice adds this device to the devices table or refreshes its row.
func (s *Syncer) upsertDevice(ctx context.Context, tx pgx.Tx) (registeredDevice, error) {
	var out registeredDevice
	me, err := s.st.LocalDevice(ctx)
	if err != nil {
		return out, err
	}
	platform := me.Platform
	if platform == "" {
		platform = runtime.GOOS + "/" + runtime.GOARCH
	}
	// UPDATE first: an INSERT ... ON CONFLICT would draw a value from the
	// id sequence on every cycle of every device and exhaust it.
	err = tx.QueryRow(ctx, `UPDATE devices SET hostname = $2, platform = $3, app_version = $4,
			last_seen = now(), xid = pg_current_xact_id()
		WHERE uuid = $1::uuid RETURNING id, first_seen, last_seen`,
		me.UUID, me.Hostname, platform, s.opts.AppVersion).Scan(&out.id, &out.firstSeen, &out.lastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `INSERT INTO devices (uuid, name, hostname, platform, app_version)
			VALUES ($1::uuid, $2, $3, $4, $5)
			ON CONFLICT (uuid) DO UPDATE SET last_seen = now(), xid = pg_current_xact_id()
			RETURNING id, first_seen, last_seen`, me.UUID, me.Name, me.Hostname, platform, s.opts.AppVersion).Scan(&out.id, &out.firstSeen, &out.lastSeen)
	}
	if err != nil {
		return out, fmt.Errorf("register device: %w", err)
	}
	return out, nil
}

// pushRenames sends the device names changed here and returns them, to be
// marked as pushed once the transaction commits.
func (s *Syncer) pushRenames(ctx context.Context, tx pgx.Tx) (map[string]string, error) {
	renames, err := s.st.PendingRenames(ctx)
	if err != nil {
		return nil, err
	}
	for uuid, name := range renames {
		if _, err := tx.Exec(ctx, `UPDATE devices SET name = $2, xid = pg_current_xact_id() WHERE uuid = $1::uuid AND name IS DISTINCT FROM $2`, uuid, name); err != nil {
			return nil, fmt.Errorf("push rename: %w", err)
		}
	}
	return renames, nil
}

// pushSQL upserts one batch with absolute values. Unchanged rows are not
// rewritten, so a replay creates no new row versions and nothing to pull.
const pushSQL = `INSERT INTO buckets (device_id, nic, network, bucket_start, sent, recv)
SELECT $1, u.nic, u.network, u.bucket_start, u.sent, u.recv
FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(nic, network, bucket_start, sent, recv)
ON CONFLICT (device_id, nic, network, bucket_start) DO UPDATE
SET sent = EXCLUDED.sent, recv = EXCLUDED.recv, xid = pg_current_xact_id()
WHERE buckets.sent <> EXCLUDED.sent OR buckets.recv <> EXCLUDED.recv`

// push sends every local bucket changed after the acknowledged mark, one
// transaction per batch, and advances the mark after each COMMIT.
func (s *Syncer) push(ctx context.Context, conn *pgx.Conn, devID int32, progress func(Progress)) (int64, error) {
	total, err := s.st.PendingCount(ctx)
	if err != nil {
		return 0, err
	}
	var done int64
	var cur store.PushCursor
	for batch := 1; ; batch++ {
		rows, next, err := s.st.PendingBuckets(ctx, cur, s.opts.BatchSize)
		if err != nil {
			return done, err
		}
		if len(rows) == 0 {
			// The scan ended right after a full batch: everything up to
			// the cursor is on the server.
			if batch > 1 {
				if err := s.st.AckPush(ctx, cur.Seq()); err != nil {
					return done, err
				}
			}
			return done, nil
		}
		if err := s.pushBatch(ctx, conn, devID, rows, batch); err != nil {
			return done, err
		}
		if s.afterCommit != nil {
			if err := s.afterCommit(batch); err != nil {
				return done, err
			}
		}
		// All rows up to the last change number are on the server, unless
		// the batch was cut inside that change number.
		ack := rows[len(rows)-1].Seq
		if len(rows) == s.opts.BatchSize {
			ack--
		}
		if err := s.st.AckPush(ctx, ack); err != nil {
			return done, err
		}
		done += int64(len(rows))
		if progress != nil {
			progress(Progress{Phase: "push", Done: done, Total: max(total, done)})
		}
		if len(rows) < s.opts.BatchSize {
			return done, nil
		}
		cur = next
	}
}

// pushBatch upserts rows in one transaction.
func (s *Syncer) pushBatch(ctx context.Context, conn *pgx.Conn, devID int32, rows []store.SyncBucket, batch int) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	cols := pushColumns(rows)
	tx, err := s.set.begin(ctx, conn, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("push batch %d: %w", batch, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, pushSQL, devID, cols.nics, cols.networks, cols.starts, cols.sent, cols.recv); err != nil {
		return fmt.Errorf("push batch %d: %w", batch, err)
	}
	if s.beforeCommit != nil {
		if err := s.beforeCommit(ctx, conn, batch); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("push batch %d commit: %w", batch, err)
	}
	return nil
}

// pushArrays are the columns of one batch, as pushSQL unnests them.
type pushArrays struct {
	nics, networks     []string
	starts, sent, recv []int64
}

// bucketID is the key of a bucket of this device on the server.
type bucketID struct {
	nic, network string
	start        int64
}

// pushColumns turns rows into pushSQL's arrays. A key that comes twice
// keeps its last row, the newest change: one INSERT ... ON CONFLICT may not
// update a row twice.
func pushColumns(rows []store.SyncBucket) pushArrays {
	at := make(map[bucketID]int, len(rows))
	c := pushArrays{
		nics: make([]string, 0, len(rows)), networks: make([]string, 0, len(rows)),
		starts: make([]int64, 0, len(rows)), sent: make([]int64, 0, len(rows)), recv: make([]int64, 0, len(rows)),
	}
	for _, r := range rows {
		id := bucketID{r.NIC, r.Network, r.Start}
		if i, dup := at[id]; dup {
			c.sent[i], c.recv[i] = int64(r.Sent), int64(r.Recv)
			continue
		}
		at[id] = len(c.nics)
		c.nics = append(c.nics, r.NIC)
		c.networks = append(c.networks, r.Network)
		c.starts = append(c.starts, r.Start)
		c.sent = append(c.sent, int64(r.Sent))
		c.recv = append(c.recv, int64(r.Recv))
	}
	return c
}

// pull copies other devices' rows changed since the last horizon. The
// horizon is the oldest transaction still running when the pull's snapshot
// was taken, so a transaction that started earlier but commits later (its
// rows carry its older xid) is picked up by the next pull. Rows at or above
// the horizon that were already pulled come again; applying absolute values
// twice is harmless.
//
// Rows are read in xid order through a cursor, one FETCH (and one statement
// timeout) per batch, and the mark advances after each applied batch, so a
// large first pull that is interrupted resumes where it stopped.
func (s *Syncer) pull(ctx context.Context, conn *pgx.Conn, devID int32, progress func(Progress)) (pulled int64, devices int, err error) {
	markStr, _, err := s.st.GetMeta(ctx, metaPullXID)
	if err != nil {
		return 0, 0, err
	}
	mark, _ := strconv.ParseUint(markStr, 10, 64)
	tx, err := s.set.begin(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, 0, fmt.Errorf("pull: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		tx.Rollback(rctx)
	}()
	snap, err := s.openPull(ctx, tx, mark, devID)
	if err != nil {
		return 0, 0, err
	}
	pulled, err = s.applyPull(ctx, tx, snap, progress)
	return pulled, snap.devices, err
}

// pullSnapshot is what a pull sees before its first batch of buckets.
type pullSnapshot struct {
	horizon uint64         // the snapshot's xmin: the next pull starts there
	devs    []store.Device // devices changed since the mark
	devices int            // devices on the server
}

// openPull reads the snapshot's horizon and the devices changed since mark,
// and opens the cursor pull_rows over the other devices' buckets changed
// since mark.
func (s *Syncer) openPull(ctx context.Context, tx pgx.Tx, mark uint64, devID int32) (pullSnapshot, error) {
	var snap pullSnapshot
	ctx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	var horizon string
	if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`).Scan(&horizon); err != nil {
		return snap, fmt.Errorf("pull: read snapshot: %w", err)
	}
	var err error
	if snap.horizon, err = strconv.ParseUint(horizon, 10, 64); err != nil {
		return snap, fmt.Errorf("pull: bad snapshot horizon %q", horizon)
	}
	markText := strconv.FormatUint(mark, 10)
	rows, err := tx.Query(ctx, `SELECT uuid::text, name, hostname, platform, app_version, first_seen, last_seen
		FROM devices WHERE xid >= $1::text::xid8 ORDER BY id`, markText)
	if err != nil {
		return snap, fmt.Errorf("pull devices: %w", err)
	}
	snap.devs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Device, error) {
		var d store.Device
		err := r.Scan(&d.UUID, &d.Name, &d.Hostname, &d.Platform, &d.AppVersion, &d.FirstSeen, &d.LastSeen)
		return d, err
	})
	if err != nil {
		return snap, fmt.Errorf("pull devices: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM devices`).Scan(&snap.devices); err != nil {
		return snap, fmt.Errorf("pull: count devices: %w", err)
	}
	if _, err := tx.Exec(ctx, `DECLARE pull_rows NO SCROLL CURSOR FOR
		SELECT d.uuid::text, b.nic, b.network, b.bucket_start, b.sent, b.recv, b.xid::text
		FROM buckets b JOIN devices d ON d.id = b.device_id
		WHERE b.xid >= $1::text::xid8 AND b.device_id <> $2
		ORDER BY b.xid`, markText, devID); err != nil {
		return snap, fmt.Errorf("pull buckets: %w", err)
	}
	return snap, nil
}

// applyPull applies the snapshot's devices and the cursor's buckets to the
// local store batch by batch, advancing the mark after each, and returns
// the number of buckets applied.
func (s *Syncer) applyPull(ctx context.Context, tx pgx.Tx, snap pullSnapshot, progress func(Progress)) (int64, error) {
	var pulled int64
	devs := snap.devs
	chunk := make([]store.SyncBucket, 0, s.opts.BatchSize)
	for {
		var lastXID uint64
		var err error
		chunk, lastXID, err = s.fetchPulled(ctx, tx, chunk[:0])
		if err != nil {
			return pulled, fmt.Errorf("pull buckets: %w", err)
		}
		if len(chunk) == 0 && len(devs) == 0 {
			break
		}
		if err := s.st.ApplyPulled(ctx, devs, chunk); err != nil {
			return pulled, err
		}
		devs = nil
		pulled += int64(len(chunk))
		if len(chunk) == 0 {
			break
		}
		// Every row below the last xid of this batch is applied; rows of
		// that xid may continue in the next batch, so they come again if
		// the pull stops here.
		if err := s.st.SetMeta(ctx, metaPullXID, strconv.FormatUint(min(lastXID, snap.horizon), 10)); err != nil {
			return pulled, err
		}
		if progress != nil {
			progress(Progress{Phase: "pull", Done: pulled})
		}
		if len(chunk) < s.opts.BatchSize {
			break
		}
	}
	return pulled, s.st.SetMeta(ctx, metaPullXID, strconv.FormatUint(snap.horizon, 10))
}

// fetchPulled reads the next batch of the cursor pull_rows into chunk and
// returns it with the xid of its last row.
func (s *Syncer) fetchPulled(ctx context.Context, tx pgx.Tx, chunk []store.SyncBucket) ([]store.SyncBucket, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	rows, err := tx.Query(ctx, "FETCH "+strconv.Itoa(s.opts.BatchSize)+" FROM pull_rows")
	if err != nil {
		return chunk, 0, err
	}
	defer rows.Close()
	var lastXID uint64
	for rows.Next() {
		var b store.SyncBucket
		var sent, recv int64
		var xid string
		if err := rows.Scan(&b.Device, &b.NIC, &b.Network, &b.Start, &sent, &recv, &xid); err != nil {
			return chunk, 0, err
		}
		b.Sent, b.Recv = uint64(sent), uint64(recv)
		chunk = append(chunk, b)
		lastXID, _ = strconv.ParseUint(xid, 10, 64)
	}
	return chunk, lastXID, rows.Err()
}
