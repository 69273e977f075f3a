package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Meta keys of the sync state. They live in the database so that the CLI
// sees what the app's syncer did and marks survive restarts.
const (
	metaPushAck = "sync_push_ack" // highest local change number the server has
)

// Device is one device known to this database: this machine or one that
// sync pulled from the server.
type Device struct {
	UUID       string    `json:"id"`
	Name       string    `json:"name"`
	Hostname   string    `json:"hostname"`
	Platform   string    `json:"platform"`
	AppVersion string    `json:"app_version,omitempty"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	Local      bool      `json:"local"`
}

// DeviceUsage is a device with its totals for today and this month in the
// store's zone; it is what the devices list shows.
type DeviceUsage struct {
	Device
	TodaySent uint64 `json:"today_sent"`
	TodayRecv uint64 `json:"today_received"`
	MonthSent uint64 `json:"month_sent"`
	MonthRecv uint64 `json:"month_received"`
}

// SyncBucket is one bucket with its absolute values, as sync moves it.
type SyncBucket struct {
	Device string // device UUID; empty for the local device when pushing
	NIC    string
	Start  int64 // UTC unix seconds, a multiple of BucketSeconds
	Sent   uint64
	Recv   uint64
	Seq    int64 // local change number; push only
}

// PushCursor is a position in the order (seq, NIC, start) in which pending
// local buckets are read. The zero value is "from the acknowledged mark".
type PushCursor struct {
	seq, nic, start int64
	set             bool
}

// Seq is the change number of the last bucket read.
func (c PushCursor) Seq() int64 { return c.seq }

// PushAck returns the highest local change number the server acknowledged.
func (s *Store) PushAck(ctx context.Context) (int64, error) {
	v, _, err := s.GetMeta(ctx, metaPushAck)
	if err != nil || v == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad %s %q: %w", metaPushAck, v, err)
	}
	return n, nil
}

// AckPush records that every local bucket whose change number is at most
// seq is on the server. The mark never goes back.
func (s *Store) AckPush(ctx context.Context, seq int64) error {
	if s.w == nil {
		return ErrReadOnly
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)`,
		metaPushAck, strconv.FormatInt(seq, 10))
	if err != nil {
		return fmt.Errorf("save push mark: %w", err)
	}
	return nil
}

// ResetPushAck forgets the push mark, so that everything is pushed again
// (used when the server changed).
func (s *Store) ResetPushAck(ctx context.Context) error {
	return s.SetMeta(ctx, metaPushAck, "0")
}

// PendingBuckets returns up to limit local buckets changed after the push
// mark, ordered by change number, starting after cursor c. The returned
// cursor continues the scan.
func (s *Store) PendingBuckets(ctx context.Context, c PushCursor, limit int) ([]SyncBucket, PushCursor, error) {
	if !c.set {
		ack, err := s.PushAck(ctx)
		if err != nil {
			return nil, c, err
		}
		// (ack, max, max) sorts after every row of change number ack.
		c = PushCursor{seq: ack, nic: 1 << 62, start: 1 << 62, set: true}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT b.seq, b.nic, n.name, b.start, b.sent, b.recv
		FROM buckets b INDEXED BY buckets_pending JOIN nics n ON n.id = b.nic
		WHERE b.device = 1 AND b.seq >= ? AND (b.seq, b.nic, b.start) > (?, ?, ?)
		ORDER BY b.seq, b.nic, b.start LIMIT ?`, c.seq, c.seq, c.nic, c.start, limit)
	if err != nil {
		return nil, c, fmt.Errorf("read pending buckets: %w", err)
	}
	defer rows.Close()
	var out []SyncBucket
	for rows.Next() {
		var b SyncBucket
		var nic, sent, recv int64
		if err := rows.Scan(&b.Seq, &nic, &b.NIC, &b.Start, &sent, &recv); err != nil {
			return nil, c, fmt.Errorf("read pending buckets: %w", err)
		}
		b.Sent, b.Recv = uint64(sent), uint64(recv)
		out = append(out, b)
		c = PushCursor{seq: b.Seq, nic: nic, start: b.Start, set: true}
	}
	if err := rows.Err(); err != nil {
		return nil, c, fmt.Errorf("read pending buckets: %w", err)
	}
	return out, c, nil
}

// PendingCount returns how many local buckets are not acknowledged by the
// server yet.
func (s *Store) PendingCount(ctx context.Context) (int64, error) {
	ack, err := s.PushAck(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM buckets INDEXED BY buckets_pending WHERE device = 1 AND seq > ?`, ack).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending buckets: %w", err)
	}
	return n, nil
}

// LocalDevice returns this machine's device row.
func (s *Store) LocalDevice(ctx context.Context) (Device, error) {
	devs, err := s.devices(ctx, `WHERE id = 1`)
	if err != nil {
		return Device{}, err
	}
	if len(devs) == 0 {
		return Device{}, ErrNoDatabase
	}
	return devs[0], nil
}

func (s *Store) devices(ctx context.Context, where string, args ...any) ([]Device, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, uuid, name, hostname, platform, app_version, first_seen, last_seen
		FROM devices `+where+` ORDER BY id != 1, name, uuid`, args...)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var d Device
		var id, first, last int64
		if err := rows.Scan(&id, &d.UUID, &d.Name, &d.Hostname, &d.Platform, &d.AppVersion, &first, &last); err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		d.Local = id == localDevice
		d.FirstSeen, d.LastSeen = unixOrZero(first), unixOrZero(last)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return out, nil
}

func unixOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// Devices lists every device with its usage today and this month in the
// store's zone, this machine first. The local device's last seen time is its
// last flush.
func (s *Store) Devices(ctx context.Context) ([]DeviceUsage, error) {
	devs, err := s.devices(ctx, "")
	if err != nil {
		return nil, err
	}
	now := s.now().In(s.loc)
	today := DateOf(now)
	monthStart := Date{today.Year, today.Month, 1}
	rollup, err := s.rollupServes(ctx, s.loc)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if rollup {
		rows, err = s.r.QueryContext(ctx, `SELECT dv.uuid,
			SUM(CASE WHEN d.day = ? THEN d.sent ELSE 0 END), SUM(CASE WHEN d.day = ? THEN d.recv ELSE 0 END),
			SUM(d.sent), SUM(d.recv)
		FROM days d JOIN devices dv ON dv.id = d.device
		WHERE d.day >= ? AND d.day <= ? GROUP BY dv.uuid`, today.key(), today.key(), monthStart.key(), today.key())
	} else {
		// The rollup is in another zone (a reader with another TZ): the
		// buckets answer exactly.
		dayStart := today.Start(s.loc).Unix()
		rows, err = s.r.QueryContext(ctx, `SELECT dv.uuid,
			SUM(CASE WHEN b.start >= ? THEN b.sent ELSE 0 END), SUM(CASE WHEN b.start >= ? THEN b.recv ELSE 0 END),
			SUM(b.sent), SUM(b.recv)
		FROM buckets b JOIN devices dv ON dv.id = b.device
		WHERE b.start >= ? AND b.start < ? GROUP BY dv.uuid`, dayStart, dayStart, monthStart.Start(s.loc).Unix(), today.AddDays(1).Start(s.loc).Unix())
	}
	if err != nil {
		return nil, fmt.Errorf("device totals: %w", err)
	}
	defer rows.Close()
	totals := map[string][4]int64{}
	for rows.Next() {
		var id string
		var v [4]int64
		if err := rows.Scan(&id, &v[0], &v[1], &v[2], &v[3]); err != nil {
			return nil, fmt.Errorf("device totals: %w", err)
		}
		totals[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("device totals: %w", err)
	}
	flushed, _, err := s.GetMeta(ctx, "flushed_at")
	if err != nil {
		return nil, err
	}
	out := make([]DeviceUsage, 0, len(devs))
	for _, d := range devs {
		if d.Local {
			if sec, err := strconv.ParseInt(flushed, 10, 64); err == nil && sec > 0 {
				d.LastSeen = time.Unix(sec, 0).UTC()
			}
		}
		t := totals[d.UUID]
		out = append(out, DeviceUsage{Device: d,
			TodaySent: uint64(t[0]), TodayRecv: uint64(t[1]), MonthSent: uint64(t[2]), MonthRecv: uint64(t[3])})
	}
	return out, nil
}

// RenameDevice renames a device, named by UUID or current name (empty for
// this machine), and remembers the rename for the next push. It returns the
// device's UUID.
func (s *Store) RenameDevice(ctx context.Context, device, name string) (string, error) {
	if s.w == nil {
		return "", ErrReadOnly
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || strings.ContainsAny(name, "\x00\r\n\t") {
		return "", errors.New("bad device name: want 1 to 100 characters on one line")
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("rename device: %w", err)
	}
	defer tx.Rollback()
	var id int64
	var uuid string
	if device == "" {
		if err := tx.QueryRowContext(ctx, `SELECT id, uuid FROM devices WHERE id = 1`).Scan(&id, &uuid); err != nil {
			return "", fmt.Errorf("rename device: %w", err)
		}
	} else if id, uuid, err = resolveDevice(ctx, tx, device); err != nil {
		return "", err // a *QueryError names the device already
	}
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET name = ? WHERE id = ?`, name, id); err != nil {
		return "", fmt.Errorf("rename device: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO device_renames(uuid, name) VALUES (?, ?)
		ON CONFLICT(uuid) DO UPDATE SET name = excluded.name`, uuid, name); err != nil {
		return "", fmt.Errorf("rename device: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("rename device: %w", err)
	}
	return uuid, nil
}

// PendingRenames returns the renames not yet acknowledged by the server, by
// device UUID.
func (s *Store) PendingRenames(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT uuid, name FROM device_renames`)
	if err != nil {
		return nil, fmt.Errorf("list renames: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("list renames: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}

// RenamePushed forgets a pending rename once the server has it, unless the
// device was renamed again meanwhile.
func (s *Store) RenamePushed(ctx context.Context, uuid, name string) error {
	if s.w == nil {
		return ErrReadOnly
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM device_renames WHERE uuid = ? AND name = ?`, uuid, name); err != nil {
		return fmt.Errorf("clear rename: %w", err)
	}
	return nil
}

// SetLocalDeviceInfo records this machine's app version and first/last
// contact with the server.
func (s *Store) SetLocalDeviceInfo(ctx context.Context, appVersion string, firstSeen, lastSeen time.Time) error {
	if s.w == nil {
		return ErrReadOnly
	}
	_, err := s.w.ExecContext(ctx, `UPDATE devices SET app_version = ?, first_seen = ?, last_seen = ? WHERE id = 1`,
		appVersion, firstSeen.Unix(), lastSeen.Unix())
	if err != nil {
		return fmt.Errorf("update device: %w", err)
	}
	return nil
}

// ApplyPulled stores other devices and their buckets as the server has
// them, in one transaction: devices are inserted or updated by UUID, buckets
// replaced by their absolute values, and the per-day rollup moved by the
// difference, so that it stays equal to the sum of the buckets. Rows of this
// machine are ignored: the local store is their source of truth.
func (s *Store) ApplyPulled(ctx context.Context, devs []Device, buckets []SyncBucket) error {
	if s.w == nil {
		return ErrReadOnly
	}
	if len(devs) == 0 && len(buckets) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply pulled rows: %w", err)
	}
	defer tx.Rollback()
	pending := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT uuid FROM device_renames`)
	if err != nil {
		return fmt.Errorf("apply pulled rows: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("apply pulled rows: %w", err)
		}
		pending[id] = true
	}
	rows.Close()
	for _, d := range devs {
		if d.UUID == s.deviceUUID {
			// Only the name comes back to this machine: another device
			// may have renamed it.
			if !pending[d.UUID] && d.Name != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE devices SET name = ? WHERE id = 1`, d.Name); err != nil {
					return fmt.Errorf("apply device: %w", err)
				}
			}
			continue
		}
		name := d.Name
		if pending[d.UUID] {
			name = "" // keep the local, not yet pushed, name
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO devices(uuid, name, hostname, platform, app_version, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(uuid) DO UPDATE SET name = CASE WHEN excluded.name = '' THEN name ELSE excluded.name END,
				hostname = excluded.hostname, platform = excluded.platform, app_version = excluded.app_version,
				first_seen = excluded.first_seen, last_seen = MAX(last_seen, excluded.last_seen)`,
			d.UUID, name, d.Hostname, d.Platform, d.AppVersion, d.FirstSeen.Unix(), d.LastSeen.Unix()); err != nil {
			return fmt.Errorf("apply device: %w", err)
		}
	}
	// Resolve ids, then read the current values of the touched range of
	// each device in one query, so that each pulled row costs one upsert;
	// the day rollup moves by the summed differences, one upsert per day.
	type key struct{ dev, nic, start int64 }
	type span struct{ lo, hi int64 }
	devIDs := map[string]int64{}
	nicIDs := map[string]int64{}
	keys := make([]key, 0, len(buckets))
	spans := map[int64]span{}
	for _, b := range buckets {
		if b.Device == s.deviceUUID {
			keys = append(keys, key{dev: -1})
			continue
		}
		if b.Start%BucketSeconds != 0 {
			return fmt.Errorf("apply pulled rows: bucket start %d of device %s is not aligned", b.Start, b.Device)
		}
		dev, ok := devIDs[b.Device]
		if !ok {
			err := tx.QueryRowContext(ctx, `SELECT id FROM devices WHERE uuid = ?`, b.Device).Scan(&dev)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("apply pulled rows: %w: %s", ErrUnknownDevice, b.Device)
			}
			if err != nil {
				return fmt.Errorf("apply pulled rows: %w", err)
			}
			devIDs[b.Device] = dev
		}
		nic, ok := nicIDs[b.NIC]
		if !ok {
			nic, err = s.nicID(ctx, tx, b.NIC)
			if err != nil {
				return err
			}
			nicIDs[b.NIC] = nic
		}
		keys = append(keys, key{dev, nic, b.Start})
		sp, ok := spans[dev]
		if !ok {
			sp = span{b.Start, b.Start}
		}
		spans[dev] = span{min(sp.lo, b.Start), max(sp.hi, b.Start)}
	}
	old := map[key][2]int64{}
	for dev, sp := range spans {
		rows, err := tx.QueryContext(ctx, `SELECT nic, start, sent, recv FROM buckets WHERE device = ? AND start >= ? AND start <= ?`, dev, sp.lo, sp.hi)
		if err != nil {
			return fmt.Errorf("apply pulled rows: %w", err)
		}
		for rows.Next() {
			k := key{dev: dev}
			var v [2]int64
			if err := rows.Scan(&k.nic, &k.start, &v[0], &v[1]); err != nil {
				rows.Close()
				return fmt.Errorf("apply pulled rows: %w", err)
			}
			old[k] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("apply pulled rows: %w", err)
		}
	}
	put, err := tx.PrepareContext(ctx, `INSERT INTO buckets(device, nic, start, sent, recv, seq) VALUES (?, ?, ?, ?, ?, 0)
		ON CONFLICT(device, nic, start) DO UPDATE SET sent = excluded.sent, recv = excluded.recv`)
	if err != nil {
		return fmt.Errorf("apply pulled rows: %w", err)
	}
	defer put.Close()
	type dayKeyT struct{ dev, nic, day int64 }
	dayDiff := map[dayKeyT][2]int64{}
	for i, b := range buckets {
		k := keys[i]
		if k.dev < 0 {
			continue
		}
		o := old[k]
		n := [2]int64{int64(b.Sent), int64(b.Recv)}
		if n == o {
			continue
		}
		old[k] = n // a later duplicate in the same chunk diffs against this
		if _, err := put.ExecContext(ctx, k.dev, k.nic, k.start, n[0], n[1]); err != nil {
			return fmt.Errorf("apply pulled bucket: %w", err)
		}
		dk := dayKeyT{k.dev, k.nic, dayKey(k.start, s.loc)}
		d := dayDiff[dk]
		dayDiff[dk] = [2]int64{d[0] + n[0] - o[0], d[1] + n[1] - o[1]}
	}
	if len(dayDiff) > 0 {
		day, err := tx.PrepareContext(ctx, `INSERT INTO days(device, nic, day, sent, recv) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(device, nic, day) DO UPDATE SET sent = sent + excluded.sent, recv = recv + excluded.recv`)
		if err != nil {
			return fmt.Errorf("apply pulled rows: %w", err)
		}
		defer day.Close()
		for k, d := range dayDiff {
			if d == [2]int64{} {
				continue
			}
			if _, err := day.ExecContext(ctx, k.dev, k.nic, k.day, d[0], d[1]); err != nil {
				return fmt.Errorf("apply pulled day: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("apply pulled rows: %w", err)
	}
	s.rememberNICs(nicIDs)
	return nil
}
