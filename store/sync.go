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
	Device  string // device UUID; empty for the local device when pushing
	NIC     string
	Network string // network key; "" is unknown. Labels are not synced.
	Start   int64  // UTC unix seconds, a multiple of BucketSeconds
	Sent    uint64
	Recv    uint64
	Seq     int64 // local change number; push only
}

// PushCursor is a position in the order (seq, NIC, network, start) in
// which pending local buckets are read. The zero value is "from the
// acknowledged mark".
type PushCursor struct {
	seq, nic, network, start int64
	set                      bool
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
		// (ack, max, max, max) sorts after every row of change number ack.
		c = PushCursor{seq: ack, nic: 1 << 62, network: 1 << 62, start: 1 << 62, set: true}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT b.seq, b.nic, n.name, b.network, nw.key, b.start, b.sent, b.recv
		FROM buckets b INDEXED BY buckets_pending JOIN nics n ON n.id = b.nic JOIN networks nw ON nw.id = b.network
		WHERE b.device = 1 AND b.seq >= ? AND (b.seq, b.nic, b.network, b.start) > (?, ?, ?, ?)
		ORDER BY b.seq, b.nic, b.network, b.start LIMIT ?`, c.seq, c.seq, c.nic, c.network, c.start, limit)
	if err != nil {
		return nil, c, fmt.Errorf("read pending buckets: %w", err)
	}
	defer rows.Close()
	var out []SyncBucket
	for rows.Next() {
		var b SyncBucket
		var nic, network, sent, recv int64
		if err := rows.Scan(&b.Seq, &nic, &b.NIC, &network, &b.Network, &b.Start, &sent, &recv); err != nil {
			return nil, c, fmt.Errorf("read pending buckets: %w", err)
		}
		b.Sent, b.Recv = uint64(sent), uint64(recv)
		out = append(out, b)
		c = PushCursor{seq: b.Seq, nic: nic, network: network, start: b.Start, set: true}
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
	totals, err := s.deviceTotals(ctx)
	if err != nil {
		return nil, err
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
			TodaySent: t.today.Sent, TodayRecv: t.today.Received, MonthSent: t.month.Sent, MonthRecv: t.month.Received})
	}
	return out, nil
}

// todayAndMonth is a device's traffic today and this month.
type todayAndMonth struct{ today, month Traffic }

// deviceTotals returns each device's traffic today and this month in the
// store's zone, by device UUID.
func (s *Store) deviceTotals(ctx context.Context) (map[string]todayAndMonth, error) {
	today := DateOf(s.now().In(s.loc))
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
	out := map[string]todayAndMonth{}
	for rows.Next() {
		var id string
		var daySent, dayRecv, monthSent, monthRecv int64
		if err := rows.Scan(&id, &daySent, &dayRecv, &monthSent, &monthRecv); err != nil {
			return nil, fmt.Errorf("device totals: %w", err)
		}
		out[id] = todayAndMonth{
			today: Traffic{Sent: uint64(daySent), Received: uint64(dayRecv)},
			month: Traffic{Sent: uint64(monthSent), Received: uint64(monthRecv)},
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("device totals: %w", err)
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
// difference, so that it stays equal to the sum of the buckets. A network
// key new here gets a network with its default label. Rows of this machine
// are ignored: the local store is their source of truth.
func (s *Store) ApplyPulled(ctx context.Context, devs []Device, buckets []SyncBucket) error {
	if s.w == nil {
		return ErrReadOnly
	}
	if len(devs) == 0 && len(buckets) == 0 {
		return nil
	}
	if err := s.applyPulled(ctx, devs, buckets); err != nil {
		return fmt.Errorf("apply pulled rows: %w", err)
	}
	return nil
}

// applyPulled is ApplyPulled's transaction. Each pulled bucket costs one
// upsert and each touched day one more: the current values of the touched
// span of each device are read in one query, and the rollup moves by their
// summed differences.
func (s *Store) applyPulled(ctx context.Context, devs []Device, buckets []SyncBucket) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.applyDevices(ctx, tx, devs); err != nil {
		return err
	}
	nics := s.txNICs(tx)
	networks := s.txNetworks(tx)
	keys, err := s.pulledKeys(ctx, tx, nics, networks, buckets)
	if err != nil {
		return err
	}
	if err := networks.markSeen(ctx); err != nil {
		return err
	}
	old, err := storedBuckets(ctx, tx, keys)
	if err != nil {
		return err
	}
	days, err := s.replaceBuckets(ctx, tx, keys, buckets, old)
	if err != nil {
		return err
	}
	if err := moveDays(ctx, tx, days); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.rememberNICs(nics.ids)
	s.rememberNetworks(networks.ids)
	return nil
}

// applyDevices inserts or updates pulled devices by UUID. A rename made
// here and not pushed yet keeps its name; of this machine only the name
// comes back (another device may have renamed it).
func (s *Store) applyDevices(ctx context.Context, tx *sql.Tx, devs []Device) error {
	if len(devs) == 0 {
		return nil
	}
	pending, err := renamesPending(ctx, tx)
	if err != nil {
		return err
	}
	for _, d := range devs {
		if d.UUID == s.deviceUUID {
			if !pending[d.UUID] && d.Name != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE devices SET name = ? WHERE id = 1`, d.Name); err != nil {
					return fmt.Errorf("device %s: %w", d.UUID, err)
				}
			}
			continue
		}
		name := d.Name
		if pending[d.UUID] {
			name = "" // keeps the stored name
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO devices(uuid, name, hostname, platform, app_version, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(uuid) DO UPDATE SET name = CASE WHEN excluded.name = '' THEN name ELSE excluded.name END,
				hostname = excluded.hostname, platform = excluded.platform, app_version = excluded.app_version,
				first_seen = excluded.first_seen, last_seen = MAX(last_seen, excluded.last_seen)`,
			d.UUID, name, d.Hostname, d.Platform, d.AppVersion, d.FirstSeen.Unix(), d.LastSeen.Unix()); err != nil {
			return fmt.Errorf("device %s: %w", d.UUID, err)
		}
	}
	return nil
}

// renamesPending returns the UUIDs of the devices renamed here whose new
// name the server does not have yet.
func renamesPending(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT uuid FROM device_renames`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pending := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		pending[id] = true
	}
	return pending, rows.Err()
}

// bucketKey names one bucket row; dev is -1 for a pulled row of this
// machine, which is ignored.
type bucketKey struct{ dev, nic, network, start int64 }

// pulledKeys resolves the device, NIC and network of each pulled bucket, in
// order. A network is seen at the start of its buckets; networks new here
// are numbered in the order of their first bucket.
func (s *Store) pulledKeys(ctx context.Context, tx *sql.Tx, nics *txNICs, networks *txNetworks, buckets []SyncBucket) ([]bucketKey, error) {
	if err := networks.resolveInOrder(ctx, buckets, s.deviceUUID); err != nil {
		return nil, err
	}
	devIDs := map[string]int64{}
	keys := make([]bucketKey, 0, len(buckets))
	for _, b := range buckets {
		if b.Device == s.deviceUUID {
			keys = append(keys, bucketKey{dev: -1})
			continue
		}
		if b.Start%BucketSeconds != 0 {
			return nil, fmt.Errorf("bucket start %d of device %s is not aligned", b.Start, b.Device)
		}
		dev, ok := devIDs[b.Device]
		if !ok {
			err := tx.QueryRowContext(ctx, `SELECT id FROM devices WHERE uuid = ?`, b.Device).Scan(&dev)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("%w: %s", ErrUnknownDevice, b.Device)
			}
			if err != nil {
				return nil, err
			}
			devIDs[b.Device] = dev
		}
		nic, err := nics.id(ctx, b.NIC)
		if err != nil {
			return nil, err
		}
		network, err := networks.id(ctx, b.Network, b.Start)
		if err != nil {
			return nil, err
		}
		keys = append(keys, bucketKey{dev, nic, network, b.Start})
	}
	return keys, nil
}

// storedBuckets reads the stored values of every bucket in the span of
// keys of each device, one query per device.
func storedBuckets(ctx context.Context, tx *sql.Tx, keys []bucketKey) (map[bucketKey]Traffic, error) {
	type span struct{ lo, hi int64 }
	spans := map[int64]span{}
	for _, k := range keys {
		if k.dev < 0 {
			continue
		}
		sp, ok := spans[k.dev]
		if !ok {
			sp = span{k.start, k.start}
		}
		spans[k.dev] = span{min(sp.lo, k.start), max(sp.hi, k.start)}
	}
	out := map[bucketKey]Traffic{}
	for dev, sp := range spans {
		if err := readBuckets(ctx, tx, dev, sp.lo, sp.hi, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readBuckets adds a device's buckets starting in [lo, hi] to out.
func readBuckets(ctx context.Context, tx *sql.Tx, dev, lo, hi int64, out map[bucketKey]Traffic) error {
	rows, err := tx.QueryContext(ctx, `SELECT nic, network, start, sent, recv FROM buckets WHERE device = ? AND start >= ? AND start <= ?`, dev, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		k := bucketKey{dev: dev}
		var sent, recv int64
		if err := rows.Scan(&k.nic, &k.network, &k.start, &sent, &recv); err != nil {
			return err
		}
		out[k] = Traffic{Sent: uint64(sent), Received: uint64(recv)}
	}
	return rows.Err()
}

// dayChange is how one row of the per-day rollup moves: by the bytes of
// the buckets replaced into it minus those of the buckets replaced.
type dayChange struct{ added, removed Traffic }

// replaceBuckets writes the pulled buckets whose values differ from the
// stored ones (old, updated as it goes: a later duplicate in the same
// batch differs from this one) and returns how the rollup must move.
func (s *Store) replaceBuckets(ctx context.Context, tx *sql.Tx, keys []bucketKey, buckets []SyncBucket, old map[bucketKey]Traffic) (map[rollupKey]dayChange, error) {
	put, err := tx.PrepareContext(ctx, `INSERT INTO buckets(device, nic, network, start, sent, recv, seq) VALUES (?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT(device, start, nic, network) DO UPDATE SET sent = excluded.sent, recv = excluded.recv`)
	if err != nil {
		return nil, err
	}
	defer put.Close()
	days := map[rollupKey]dayChange{}
	for i, b := range buckets {
		k := keys[i]
		if k.dev < 0 {
			continue
		}
		was, now := old[k], Traffic{Sent: b.Sent, Received: b.Recv}
		if now == was {
			continue
		}
		old[k] = now
		if _, err := put.ExecContext(ctx, k.dev, k.nic, k.network, k.start, int64(now.Sent), int64(now.Received)); err != nil {
			return nil, fmt.Errorf("bucket: %w", err)
		}
		dk := rollupKey{k.dev, k.nic, k.network, dayKey(k.start, s.loc)}
		c := days[dk]
		days[dk] = dayChange{added: c.added.Add(now), removed: c.removed.Add(was)}
	}
	return days, nil
}

// moveDays applies the changes to the per-day rollup.
func moveDays(ctx context.Context, tx *sql.Tx, days map[rollupKey]dayChange) error {
	if len(days) == 0 {
		return nil
	}
	upsert, err := tx.PrepareContext(ctx, `INSERT INTO days(device, nic, network, day, sent, recv) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(device, day, nic, network) DO UPDATE SET sent = sent + excluded.sent, recv = recv + excluded.recv`)
	if err != nil {
		return err
	}
	defer upsert.Close()
	for k, c := range days {
		if c.added == c.removed {
			continue
		}
		sent := int64(c.added.Sent) - int64(c.removed.Sent)
		recv := int64(c.added.Received) - int64(c.removed.Received)
		if _, err := upsert.ExecContext(ctx, k.dev, k.nic, k.network, k.day, sent, recv); err != nil {
			return fmt.Errorf("day: %w", err)
		}
	}
	return nil
}
