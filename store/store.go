package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database file inside the data directory.
const FileName = "packetbuddy.db"

// BucketSeconds is the width of one usage bucket. Every real UTC offset is a
// multiple of 15 minutes, so local days and hours are unions of buckets.
const BucketSeconds = 900

// localDevice is the row id of this machine in the devices table.
const localDevice = 1

var (
	// ErrNoDatabase means a read-only open found no database yet.
	ErrNoDatabase = errors.New("no database yet")
	// ErrUnknownNIC means a query named a NIC that has no history.
	ErrUnknownNIC = errors.New("unknown NIC")
	// ErrUnknownDevice means a query named a device that is not known.
	ErrUnknownDevice = errors.New("unknown device")
	// ErrAmbiguousDevice means a device name matches more than one device.
	ErrAmbiguousDevice = errors.New("ambiguous device name")
	// ErrReadOnly means a write was attempted on a read-only store.
	ErrReadOnly = errors.New("store opened read-only")
	// ErrSchemaVersion means a read-only open found a database whose schema
	// this PacketBuddy cannot read: written by an older release and not
	// upgraded yet (the app upgrades it when it starts), or by a newer one.
	ErrSchemaVersion = errors.New("database schema version not readable")
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options are the optional settings of Open; the zero value is usable.
type Options struct {
	// ReadOnly opens an existing database for queries only. The CLI uses it
	// so that it never writes beside a running app.
	ReadOnly bool
	// Location is the zone of the per-day rollup, normally the machine's.
	// Queries in another zone are still exact, only slower. Default time.Local.
	Location *time.Location
	// Logger receives diagnostics; default discards.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Store is an open PacketBuddy database.
type Store struct {
	path     string
	readOnly bool
	loc      *time.Location
	log      *slog.Logger
	now      func() time.Time

	w *sql.DB // the one writer connection
	r *sql.DB // read pool

	deviceUUID string

	mu         sync.Mutex // guards nicIDs and networkIDs
	nicIDs     map[string]int64
	networkIDs map[string]int64 // network key -> id
	fpCache    sync.Map         // *time.Location -> string fingerprint
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// DeviceID returns this install's device UUID.
func (s *Store) DeviceID() string { return s.deviceUUID }

// Location returns the rollup zone, the default zone of queries.
func (s *Store) Location() *time.Location { return s.loc }

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_txlock", "immediate")
	}
	return "file:" + filepath.ToSlash(path) + "?" + q.Encode()
}

// Open opens (creating and migrating when needed) the database in dir.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	path := filepath.Join(dir, FileName)
	s := &Store{path: path, readOnly: opts.ReadOnly, loc: opts.Location, log: opts.Logger, now: opts.Now,
		nicIDs: map[string]int64{}, networkIDs: map[string]int64{"": unknownNetwork}}
	if opts.ReadOnly {
		if err := s.openReadOnly(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err := EnsureDataDir(dir); err != nil {
		return nil, err
	}
	// Create the file ourselves so that it is private from the first byte.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	f.Close()
	if err := s.openWriter(ctx); err != nil {
		return nil, err
	}
	if err := s.openReaders(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.initDevice(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.ensureRollupZone(ctx); err != nil {
		s.Close()
		return nil, err
	}
	restrictFiles(path)
	return s, nil
}

// openReadOnly opens an existing database for queries only.
func (s *Store) openReadOnly(ctx context.Context) error {
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open %s: %w", s.path, ErrNoDatabase)
	}
	db, err := sql.Open("sqlite", dsn(s.path, true))
	if err != nil {
		return fmt.Errorf("open %s: %w", s.path, err)
	}
	s.r = db
	if err := s.checkSchema(ctx); err != nil {
		db.Close()
		return err
	}
	if err := s.loadDevice(ctx); err != nil {
		db.Close()
		return err
	}
	return nil
}

// checkSchema makes sure that a database opened read-only, which is never
// migrated, has the schema this code queries.
func (s *Store) checkSchema(ctx context.Context) error {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return err
	}
	var version int
	if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("open %s: read version: %w", s.path, err)
	}
	switch {
	case version == 0:
		return fmt.Errorf("open %s: %w", s.path, ErrNoDatabase)
	case version < len(entries):
		return fmt.Errorf("database schema version %d is older than this PacketBuddy's (%d): start the PacketBuddy app once to upgrade it: %w",
			version, len(entries), ErrSchemaVersion)
	case version > len(entries):
		return fmt.Errorf("database schema version %d is newer than this PacketBuddy (knows %d); upgrade PacketBuddy: %w",
			version, len(entries), ErrSchemaVersion)
	}
	return nil
}

// openWriter opens the one writer connection and migrates the schema.
func (s *Store) openWriter(ctx context.Context) error {
	w, err := sql.Open("sqlite", dsn(s.path, false))
	if err != nil {
		return fmt.Errorf("open %s: %w", s.path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w = w
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return err
	}
	return nil
}

// openReaders opens the read pool beside the writer.
func (s *Store) openReaders() error {
	r, err := sql.Open("sqlite", dsn(s.path, false))
	if err != nil {
		return fmt.Errorf("open %s: %w", s.path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	r.SetMaxIdleConns(max(4, runtime.NumCPU()))
	s.r = r
	return nil
}

// EnsureDataDir creates dir private to the user (0700 on Unix).
func EnsureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restrict data directory: %w", err)
		}
	}
	return nil
}

// restrictFiles makes the database and its WAL side files user-only; SQLite
// creates the side files with the process umask.
func restrictFiles(path string) {
	if runtime.GOOS == "windows" {
		return
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Chmod(p, 0o600)
	}
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.w != nil {
		if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			s.log.Debug("checkpoint at close", "err", err)
		}
		errs = append(errs, s.w.Close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	return errors.Join(errs...)
}

func (s *Store) migrate(ctx context.Context) error {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if version > len(entries) {
		return fmt.Errorf("database schema version %d is newer than this PacketBuddy (knows %d); upgrade PacketBuddy", version, len(entries))
	}
	for i := version; i < len(entries); i++ {
		body, err := migrationFiles.ReadFile("migrations/" + entries[i].Name())
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", entries[i].Name(), err)
		}
		if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(i+1)); err != nil {
			return fmt.Errorf("migration %s: %w", entries[i].Name(), err)
		}
	}
	return tx.Commit()
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *Store) initDevice(ctx context.Context) error {
	host, _ := os.Hostname()
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO devices(id, uuid, name, hostname, platform) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
		localDevice, newUUID(), host, host, runtime.GOOS+"/"+runtime.GOARCH)
	if err != nil {
		return fmt.Errorf("create device: %w", err)
	}
	return s.loadDevice(ctx)
}

func (s *Store) loadDevice(ctx context.Context) error {
	err := s.r.QueryRowContext(ctx, `SELECT uuid FROM devices WHERE id = ?`, localDevice).Scan(&s.deviceUUID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("open %s: %w", s.path, ErrNoDatabase)
	}
	if err != nil {
		return fmt.Errorf("read device: %w", err)
	}
	return nil
}

// GetMeta reads a meta value; ok is false when it is not set.
func (s *Store) GetMeta(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", key, err)
	}
	return value, true, nil
}

// SetMeta writes a meta value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if s.w == nil {
		return ErrReadOnly
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// Paused reports the saved pause state.
func (s *Store) Paused(ctx context.Context) (bool, error) {
	v, _, err := s.GetMeta(ctx, "paused")
	return v == "1", err
}

// SetPaused saves the pause state so that it survives a restart.
func (s *Store) SetPaused(ctx context.Context, paused bool) error {
	v := "0"
	if paused {
		v = "1"
	}
	return s.SetMeta(ctx, "paused", v)
}

// Size returns the bytes used by the database and its WAL.
func (s *Store) Size() int64 {
	var n int64
	for _, p := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// txNICs resolves NIC names to ids inside one write transaction, creating
// the missing ones. The ids reach the store's cache (rememberNICs) only
// after the commit: a rolled back id is read again.
type txNICs struct {
	s   *Store
	tx  *sql.Tx
	ids map[string]int64
}

func (s *Store) txNICs(tx *sql.Tx) *txNICs {
	return &txNICs{s: s, tx: tx, ids: map[string]int64{}}
}

// id returns the id of a NIC name, creating it when missing.
func (n *txNICs) id(ctx context.Context, name string) (int64, error) {
	if id, ok := n.ids[name]; ok {
		return id, nil
	}
	n.s.mu.Lock()
	id, ok := n.s.nicIDs[name]
	n.s.mu.Unlock()
	if !ok {
		if _, err := n.tx.ExecContext(ctx, `INSERT INTO nics(name) VALUES (?) ON CONFLICT(name) DO NOTHING`, name); err != nil {
			return 0, fmt.Errorf("add nic %q: %w", name, err)
		}
		if err := n.tx.QueryRowContext(ctx, `SELECT id FROM nics WHERE name = ?`, name).Scan(&id); err != nil {
			return 0, fmt.Errorf("nic %q: %w", name, err)
		}
	}
	n.ids[name] = id
	return id, nil
}

func (s *Store) rememberNICs(m map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range m {
		s.nicIDs[k] = v
	}
}

// NICs returns every NIC name with history, sorted.
func (s *Store) NICs(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM nics ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list nics: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// zoneFingerprint identifies a zone by its UTC offsets, so that a rollup made
// for one zone is reused for an equal zone under another name.
func (s *Store) zoneFingerprint(loc *time.Location) string {
	if v, ok := s.fpCache.Load(loc); ok {
		return v.(string)
	}
	var b strings.Builder
	for y := 1990; y <= 2060; y++ {
		for m := time.January; m <= time.December; m++ {
			for _, d := range []int{1, 8, 15, 22} {
				_, off := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).In(loc).Zone()
				b.WriteString(strconv.Itoa(off / 60))
				b.WriteByte(',')
			}
		}
	}
	// Transitions matter to the day, not just the sample dates: include
	// every transition instant of the zone in that span.
	t := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2061, 1, 1, 0, 0, 0, 0, time.UTC)
	for t.Before(end) {
		_, tEnd := t.In(loc).ZoneBounds()
		if tEnd.IsZero() || !tEnd.After(t) {
			break
		}
		b.WriteString(strconv.FormatInt(tEnd.Unix(), 36))
		b.WriteByte(';')
		t = tEnd
	}
	// Stored in meta and compared on every query: a digest, not 15 kB.
	sum := sha256.Sum256([]byte(b.String()))
	fp := hex.EncodeToString(sum[:])
	s.fpCache.Store(loc, fp)
	return fp
}

// ensureRollupZone rebuilds the per-day rollup when the machine's zone
// changed since it was built (a laptop that travelled).
func (s *Store) ensureRollupZone(ctx context.Context) error {
	fp := s.zoneFingerprint(s.loc)
	old, ok, err := s.GetMeta(ctx, "rollup_zone")
	if err != nil {
		return err
	}
	if ok && old == fp {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild day rollup: %w", err)
	}
	defer tx.Rollback()
	n, err := s.rebuildRollup(ctx, tx)
	if err != nil {
		return err
	}
	if ok {
		s.log.Info("time zone changed; rebuilt the per-day rollup", "days", n)
	}
	return tx.Commit()
}

// ensureRollupZoneTx makes the per-day rollup be in s.loc inside a write
// transaction: another process (a command run beside the app in another
// zone) may have rebuilt it in its own zone since this store opened, and
// days added in s.loc to a rollup labelled with another zone would corrupt
// it for good.
func (s *Store) ensureRollupZoneTx(ctx context.Context, tx *sql.Tx) error {
	var old string
	err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'rollup_zone'`).Scan(&old)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read rollup zone: %w", err)
	}
	if err == nil && old == s.zoneFingerprint(s.loc) {
		return nil
	}
	n, err := s.rebuildRollup(ctx, tx)
	if err != nil {
		return err
	}
	s.log.Info("the per-day rollup was in another zone; rebuilt it", "days", n)
	return nil
}

// rebuildRollup recomputes the per-day rollup in s.loc from the buckets and
// labels it with the zone's fingerprint, inside tx.
func (s *Store) rebuildRollup(ctx context.Context, tx *sql.Tx) (int, error) {
	fp := s.zoneFingerprint(s.loc)
	if _, err := tx.ExecContext(ctx, `DELETE FROM days`); err != nil {
		return 0, fmt.Errorf("rebuild day rollup: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT device, nic, network, start, sent, recv FROM buckets ORDER BY device, nic, network, start`)
	if err != nil {
		return 0, fmt.Errorf("rebuild day rollup: %w", err)
	}
	sums := map[rollupKey]Traffic{}
	for rows.Next() {
		var dev, nic, network, start, sent, recv int64
		if err := rows.Scan(&dev, &nic, &network, &start, &sent, &recv); err != nil {
			rows.Close()
			return 0, err
		}
		k := rollupKey{dev, nic, network, dayKey(start, s.loc)}
		sums[k] = sums[k].Add(Traffic{Sent: uint64(sent), Received: uint64(recv)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO days(device, nic, network, day, sent, recv) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	for k, v := range sums {
		if _, err := stmt.ExecContext(ctx, k.dev, k.nic, k.network, k.day, int64(v.Sent), int64(v.Received)); err != nil {
			return 0, fmt.Errorf("rebuild day rollup: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('rollup_zone', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, fp); err != nil {
		return 0, err
	}
	return len(sums), nil
}

// rollupServes reports whether the per-day rollup, as stored now, is in a
// zone equal to loc. It reads the rollup's label rather than trusting
// s.loc: a read-only store may be opened in any zone, and another process
// may have rebuilt the rollup since this one opened.
func (s *Store) rollupServes(ctx context.Context, loc *time.Location) (bool, error) {
	fp, ok, err := s.GetMeta(ctx, "rollup_zone")
	if err != nil || !ok {
		return false, err
	}
	return fp == s.zoneFingerprint(loc), nil
}

// rollupKey names one row of the per-day rollup: a device's NIC on a
// network on a local day (yyyymmdd, as dayKey makes it).
type rollupKey struct{ dev, nic, network, day int64 }

// dayKey is the local calendar date of a bucket start as yyyymmdd.
func dayKey(start int64, loc *time.Location) int64 {
	y, m, d := time.Unix(start, 0).In(loc).Date()
	return int64(y)*10000 + int64(m)*100 + int64(d)
}
