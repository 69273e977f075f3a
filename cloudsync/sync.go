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
	// OnProgress, when set, is called after every batch.
	OnProgress func(Progress)
	Logger     *slog.Logger
	Now        func() time.Time
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
	sec  []string
	set  txSettings

	cycleMu sync.Mutex // one cycle at a time
	wake    chan struct{}

	mu      sync.Mutex // guards the fields below
	status  Status
	rng     *rand.Rand
	started time.Time

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
	s.started = s.opts.Now()
	if s.status.NextAttempt.IsZero() {
		s.status.NextAttempt = s.started.Add(s.opts.StartDelay)
	}
	s.mu.Unlock()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, ok := s.nextWait()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
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
	s.mu.Lock()
	switch {
	case !s.status.Configured:
		s.mu.Unlock()
		return fmt.Errorf("%w: set %s or [sync] database_url", ErrNotConfigured, EnvDatabaseURL)
	case !s.status.Enabled:
		s.mu.Unlock()
		return fmt.Errorf("%w: turn it on in the tray or dashboard, or set [sync] enabled = true", ErrDisabled)
	case s.opts.ConfigError != nil:
		s.status.Permanent = true
		s.status.LastError = redactMessage(s.opts.ConfigError.Error(), s.sec)
		s.status.State = s.idleState()
		s.mu.Unlock()
		return s.opts.ConfigError
	}
	s.mu.Unlock()

	s.cycleMu.Lock()
	defer s.cycleMu.Unlock()
	s.mu.Lock()
	s.status.State = StateSyncing
	s.status.LastAttempt = s.opts.Now()
	s.mu.Unlock()

	res, err := s.cycle(ctx, progress)
	if err != nil {
		// The error is returned and kept in the status as it may be shown.
		msg := redactMessage(err.Error(), s.sec)
		if msg != err.Error() {
			err = &scrubbedError{msg: msg, err: err}
		}
	}
	pending, perr := s.st.PendingCount(ctx)

	s.mu.Lock()
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
	st := s.status
	s.mu.Unlock()

	switch {
	case err == nil:
		s.log.Debug("sync done", "pushed", res.pushed, "pulled", res.pulled, "devices", res.devices)
	case ctx.Err() != nil:
	case st.Permanent:
		s.log.Error("sync stopped; fix the cause, then turn sync on again", "target", st.Target, "err", st.LastError)
	default:
		s.log.Warn("sync failed; will retry", "target", st.Target, "err", st.LastError, "retry_at", st.NextAttempt.Format(time.RFC3339))
	}
	if b, jerr := json.Marshal(st); jerr == nil {
		// Saved with a fresh context: a cancelled cycle still records.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if serr := s.st.SetMeta(sctx, metaStatus, string(b)); serr != nil {
			s.log.Debug("save sync status", "err", serr)
		}
		cancel()
	}
	s.nudge()
	return err
}

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
	var serverID string
	if err := tx.QueryRow(ctx, `SELECT server_id::text FROM server_info`).Scan(&serverID); err != nil {
		return 0, fmt.Errorf("read server id: %w", err)
	}
	known, _, err := s.st.GetMeta(ctx, metaServerID)
	if err != nil {
		return 0, err
	}
	if known != serverID {
		if known != "" {
			s.log.Info("sync server changed; pushing everything again", "target", s.opts.Source.Redacted())
		}
		if err := s.st.ResetPushAck(ctx); err != nil {
			return 0, err
		}
		if err := s.st.SetMeta(ctx, metaPullXID, "0"); err != nil {
			return 0, err
		}
		if err := s.st.SetMeta(ctx, metaServerID, serverID); err != nil {
			return 0, err
		}
	}
	me, err := s.st.LocalDevice(ctx)
	if err != nil {
		return 0, err
	}
	platform := me.Platform
	if platform == "" {
		platform = runtime.GOOS + "/" + runtime.GOARCH
	}
	var id int32
	var first, last time.Time
	// UPDATE first: an INSERT ... ON CONFLICT would draw a value from the
	// id sequence on every cycle of every device and exhaust it.
	err = tx.QueryRow(ctx, `UPDATE devices SET hostname = $2, platform = $3, app_version = $4,
			last_seen = now(), xid = pg_current_xact_id()
		WHERE uuid = $1::uuid RETURNING id, first_seen, last_seen`,
		me.UUID, me.Hostname, platform, s.opts.AppVersion).Scan(&id, &first, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `INSERT INTO devices (uuid, name, hostname, platform, app_version)
			VALUES ($1::uuid, $2, $3, $4, $5)
			ON CONFLICT (uuid) DO UPDATE SET last_seen = now(), xid = pg_current_xact_id()
			RETURNING id, first_seen, last_seen`, me.UUID, me.Name, me.Hostname, platform, s.opts.AppVersion).Scan(&id, &first, &last)
	}
	if err != nil {
		return 0, fmt.Errorf("register device: %w", err)
	}
	renames, err := s.st.PendingRenames(ctx)
	if err != nil {
		return 0, err
	}
	for uuid, name := range renames {
		if _, err := tx.Exec(ctx, `UPDATE devices SET name = $2, xid = pg_current_xact_id() WHERE uuid = $1::uuid AND name IS DISTINCT FROM $2`, uuid, name); err != nil {
			return 0, fmt.Errorf("push rename: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("register device: %w", err)
	}
	// Local bookkeeping only after the server has it.
	if err := s.st.SetLocalDeviceInfo(ctx, s.opts.AppVersion, first, last); err != nil {
		return 0, err
	}
	for uuid, name := range renames {
		if err := s.st.RenamePushed(ctx, uuid, name); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// pushSQL upserts one batch with absolute values. Unchanged rows are not
// rewritten, so a replay creates no new row versions and nothing to pull.
const pushSQL = `INSERT INTO buckets (device_id, nic, bucket_start, sent, recv)
SELECT $1, u.nic, u.bucket_start, u.sent, u.recv
FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(nic, bucket_start, sent, recv)
ON CONFLICT (device_id, nic, bucket_start) DO UPDATE
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

func (s *Syncer) pushBatch(ctx context.Context, conn *pgx.Conn, devID int32, rows []store.SyncBucket, batch int) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	nics := make([]string, len(rows))
	starts := make([]int64, len(rows))
	sent := make([]int64, len(rows))
	recv := make([]int64, len(rows))
	for i, r := range rows {
		nics[i], starts[i], sent[i], recv[i] = r.NIC, r.Start, int64(r.Sent), int64(r.Recv)
	}
	tx, err := s.set.begin(ctx, conn, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("push batch %d: %w", batch, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, pushSQL, devID, nics, starts, sent, recv); err != nil {
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
	opCtx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	var horizonStr string
	if err := tx.QueryRow(opCtx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`).Scan(&horizonStr); err != nil {
		return 0, 0, fmt.Errorf("pull: read snapshot: %w", err)
	}
	horizon, err := strconv.ParseUint(horizonStr, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("pull: bad snapshot horizon %q", horizonStr)
	}
	markText := strconv.FormatUint(mark, 10)
	devRows, err := tx.Query(opCtx, `SELECT uuid::text, name, hostname, platform, app_version, first_seen, last_seen
		FROM devices WHERE xid >= $1::text::xid8 ORDER BY id`, markText)
	if err != nil {
		return 0, 0, fmt.Errorf("pull devices: %w", err)
	}
	devs, err := pgx.CollectRows(devRows, func(r pgx.CollectableRow) (store.Device, error) {
		var d store.Device
		err := r.Scan(&d.UUID, &d.Name, &d.Hostname, &d.Platform, &d.AppVersion, &d.FirstSeen, &d.LastSeen)
		return d, err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("pull devices: %w", err)
	}
	if err := tx.QueryRow(opCtx, `SELECT count(*) FROM devices`).Scan(&devices); err != nil {
		return 0, 0, fmt.Errorf("pull: count devices: %w", err)
	}
	if _, err := tx.Exec(opCtx, `DECLARE pull_rows NO SCROLL CURSOR FOR
		SELECT d.uuid::text, b.nic, b.bucket_start, b.sent, b.recv, b.xid::text
		FROM buckets b JOIN devices d ON d.id = b.device_id
		WHERE b.xid >= $1::text::xid8 AND b.device_id <> $2
		ORDER BY b.xid`, markText, devID); err != nil {
		return 0, 0, fmt.Errorf("pull buckets: %w", err)
	}
	fetch := "FETCH " + strconv.Itoa(s.opts.BatchSize) + " FROM pull_rows"
	chunk := make([]store.SyncBucket, 0, s.opts.BatchSize)
	for {
		chunk = chunk[:0]
		var lastXID uint64
		err := func() error {
			ctx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
			defer cancel()
			rows, err := tx.Query(ctx, fetch)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var b store.SyncBucket
				var sent, recv int64
				var xid string
				if err := rows.Scan(&b.Device, &b.NIC, &b.Start, &sent, &recv, &xid); err != nil {
					return err
				}
				b.Sent, b.Recv = uint64(sent), uint64(recv)
				chunk = append(chunk, b)
				lastXID, _ = strconv.ParseUint(xid, 10, 64)
			}
			return rows.Err()
		}()
		if err != nil {
			return pulled, devices, fmt.Errorf("pull buckets: %w", err)
		}
		if len(chunk) == 0 && len(devs) == 0 {
			break
		}
		if err := s.st.ApplyPulled(ctx, devs, chunk); err != nil {
			return pulled, devices, err
		}
		devs = nil
		pulled += int64(len(chunk))
		if len(chunk) == 0 {
			break
		}
		// Every row below the last xid of this batch is applied; rows of
		// that xid may continue in the next batch, so they come again if
		// the pull stops here.
		if err := s.st.SetMeta(ctx, metaPullXID, strconv.FormatUint(min(lastXID, horizon), 10)); err != nil {
			return pulled, devices, err
		}
		if progress != nil {
			progress(Progress{Phase: "pull", Done: pulled})
		}
		if len(chunk) < s.opts.BatchSize {
			break
		}
	}
	if err := s.st.SetMeta(ctx, metaPullXID, strconv.FormatUint(horizon, 10)); err != nil {
		return pulled, devices, err
	}
	return pulled, devices, nil
}
