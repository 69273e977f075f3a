package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Delta is traffic to add to one bucket of one NIC on one network.
type Delta struct {
	NIC     string
	Network string // network key (WiFiNetwork, GatewayNetwork); "" is unknown
	Start   int64  // bucket start, UTC unix seconds; aligned by Flush
	Sent    uint64
	Recv    uint64
}

// Gap is traffic that happened while PacketBuddy was not counting live:
// known exactly, but only as a sum over [From, To].
type Gap struct {
	NIC string `json:"nic"`
	// Network is the key of the network the bytes are stored under: the
	// one seen when counting resumed.
	Network string    `json:"network"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Sent    uint64    `json:"bytes_sent"`
	Recv    uint64    `json:"bytes_received"`
	Reason  string    `json:"reason"`
}

// Gap reasons.
const (
	GapNotRunning   = "not running"             // same boot, app was down
	GapSinceBoot    = "since boot"              // new boot, traffic before the app started
	GapResetOffline = "reset while not running" // NIC re-created while the app was down
)

// Counter is a NIC's kernel counters as last sampled.
type Counter struct {
	NIC     string
	Sent    uint64
	Recv    uint64
	Present bool // false when the NIC was missing from the last sample
}

// Boot identifies one boot of the machine.
type Boot struct {
	ID   string // Linux boot_id; empty elsewhere
	Time int64  // boot time, unix seconds
}

// SameBoot reports whether b and o are the same boot. Boot times computed
// from uptime drift by a second or two, hence the tolerance.
func (b Boot) SameBoot(o Boot) bool {
	if b.ID != "" || o.ID != "" {
		return b.ID == o.ID
	}
	d := b.Time - o.Time
	return d >= -5 && d <= 5
}

// Batch is everything one flush commits atomically.
type Batch struct {
	At       time.Time
	Boot     Boot
	Counters []Counter // the counters the deltas were computed from
	Deltas   []Delta
	Gaps     []Gap
	// Paused, when set, saves the pause state in the same transaction, so
	// that a crash can never separate "stopped counting" from the counters.
	Paused *bool
}

// Saved is the state of the last flush, read at start-up.
type Saved struct {
	Valid    bool // false when nothing was ever flushed
	At       time.Time
	Boot     Boot
	Counters map[string]Counter
	Known    map[string]bool // NICs with any history
}

// AlignBucket returns the start of the bucket holding unix second t.
func AlignBucket(t int64) int64 {
	r := t % BucketSeconds
	if r < 0 {
		r += BucketSeconds
	}
	return t - r
}

// Flush commits deltas, gaps and the counters they came from in one
// transaction: either all of it is stored or none of it.
//
// Few statements, many rows each: a flush is a handful of SQLite statements
// whatever the number of NICs, which keeps the idle cost low.
func (s *Store) Flush(ctx context.Context, b Batch) error {
	if s.w == nil {
		return ErrReadOnly
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	defer tx.Rollback()
	if err := s.ensureRollupZoneTx(ctx, tx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return err
	}
	nics := s.txNICs(tx)
	networks := s.txNetworks(tx)
	at := b.At
	if at.IsZero() {
		at = s.now()
	}
	deltas := b.Deltas
	for _, g := range b.Gaps {
		deltas = append(deltas, SpreadGap(g)...)
	}
	if err := s.addUsage(ctx, tx, nics, networks, at.Unix(), seq, deltas); err != nil {
		return err
	}
	if err := addGaps(ctx, tx, nics, networks, at.Unix(), b.Gaps); err != nil {
		return err
	}
	if err := networks.markSeen(ctx); err != nil {
		return err
	}
	if err := saveCounters(ctx, tx, nics, b.Counters); err != nil {
		return err
	}
	if err := saveFlushMeta(ctx, tx, b); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("flush commit: %w", err)
	}
	s.rememberNICs(nics.ids)
	s.rememberNetworks(networks.ids)
	return nil
}

// addUsage adds local deltas to their buckets, marked with change number
// seq, and to the per-day rollup. The networks of the deltas are seen at
// unix second at, even those of empty deltas.
func (s *Store) addUsage(ctx context.Context, tx *sql.Tx, nics *txNICs, networks *txNetworks, at, seq int64, deltas []Delta) error {
	var bucketRows [][]any
	daySums := map[rollupKey]Traffic{}
	var dayOrder []rollupKey
	for _, d := range deltas {
		network, err := networks.id(ctx, d.Network, at)
		if err != nil {
			return err
		}
		if d.Sent == 0 && d.Recv == 0 {
			continue
		}
		nic, err := nics.id(ctx, d.NIC)
		if err != nil {
			return err
		}
		start := AlignBucket(d.Start)
		bucketRows = append(bucketRows, []any{nic, network, start, int64(d.Sent), int64(d.Recv), seq})
		k := rollupKey{localDevice, nic, network, dayKey(start, s.loc)}
		if _, ok := daySums[k]; !ok {
			dayOrder = append(dayOrder, k)
		}
		daySums[k] = daySums[k].Add(Traffic{Sent: d.Sent, Received: d.Recv})
	}
	if err := execRows(ctx, tx, `INSERT INTO buckets(device, nic, network, start, sent, recv, seq) VALUES `, "(1, ?, ?, ?, ?, ?, ?)",
		` ON CONFLICT(device, start, nic, network) DO UPDATE SET sent = sent + excluded.sent, recv = recv + excluded.recv, seq = excluded.seq`, bucketRows); err != nil {
		return fmt.Errorf("flush buckets: %w", err)
	}
	dayRows := make([][]any, 0, len(dayOrder))
	for _, k := range dayOrder {
		v := daySums[k]
		dayRows = append(dayRows, []any{k.nic, k.network, k.day, int64(v.Sent), int64(v.Received)})
	}
	if err := execRows(ctx, tx, `INSERT INTO days(device, nic, network, day, sent, recv) VALUES `, "(1, ?, ?, ?, ?, ?)",
		` ON CONFLICT(device, day, nic, network) DO UPDATE SET sent = sent + excluded.sent, recv = recv + excluded.recv`, dayRows); err != nil {
		return fmt.Errorf("flush days: %w", err)
	}
	return nil
}

// addGaps records the gaps; their bytes are in the deltas already.
func addGaps(ctx context.Context, tx *sql.Tx, nics *txNICs, networks *txNetworks, at int64, gaps []Gap) error {
	var rows [][]any
	for _, g := range gaps {
		nic, err := nics.id(ctx, g.NIC)
		if err != nil {
			return err
		}
		network, err := networks.id(ctx, g.Network, at)
		if err != nil {
			return err
		}
		rows = append(rows, []any{nic, network, g.From.Unix(), g.To.Unix(), int64(g.Sent), int64(g.Recv), g.Reason})
	}
	if err := execRows(ctx, tx, `INSERT INTO gaps(nic, network, from_ts, to_ts, sent, recv, reason) VALUES `, "(?, ?, ?, ?, ?, ?, ?)", "", rows); err != nil {
		return fmt.Errorf("flush gaps: %w", err)
	}
	return nil
}

// saveCounters replaces the saved kernel counters with counters, unless
// there are none (a batch that is not the monitor's, such as an import).
func saveCounters(ctx context.Context, tx *sql.Tx, nics *txNICs, counters []Counter) error {
	if len(counters) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(counters))
	for _, c := range counters {
		nic, err := nics.id(ctx, c.NIC)
		if err != nil {
			return err
		}
		rows = append(rows, []any{nic, int64(c.Sent), int64(c.Recv), boolInt(c.Present)})
	}
	if err := execRows(ctx, tx, `INSERT INTO counters(nic, sent, recv, present) VALUES `, "(?, ?, ?, ?)",
		` ON CONFLICT(nic) DO UPDATE SET sent = excluded.sent, recv = excluded.recv, present = excluded.present`, rows); err != nil {
		return fmt.Errorf("flush counters: %w", err)
	}
	// The batch carries every NIC the monitor counts: rows for NICs no
	// longer counted (excluded since) must not be compared at the next
	// start, or the excluded time would be claimed as a gap.
	keep := make([]string, len(rows))
	args := make([]any, len(rows))
	for i, r := range rows {
		keep[i], args[i] = "?", r[0]
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM counters WHERE nic NOT IN (`+strings.Join(keep, ",")+`)`, args...); err != nil {
		return fmt.Errorf("flush counters: %w", err)
	}
	return nil
}

// saveFlushMeta records when and in which boot the batch was taken, and
// the pause state when the batch carries one.
func saveFlushMeta(ctx context.Context, tx *sql.Tx, b Batch) error {
	rows := [][]any{
		{"flushed_at", strconv.FormatInt(b.At.Unix(), 10)},
		{"boot_id", b.Boot.ID},
		{"boot_time", strconv.FormatInt(b.Boot.Time, 10)},
	}
	if b.Paused != nil {
		rows = append(rows, []any{"paused", strconv.Itoa(boolInt(*b.Paused))})
	}
	if err := execRows(ctx, tx, `INSERT INTO meta(key, value) VALUES `, "(?, ?)",
		` ON CONFLICT(key) DO UPDATE SET value = excluded.value`, rows); err != nil {
		return fmt.Errorf("flush meta: %w", err)
	}
	return nil
}

// execRows runs head + "tuple, tuple, ..." + tail over rows, in chunks that
// stay under SQLite's limit on bound variables.
func execRows(ctx context.Context, tx *sql.Tx, head, tuple, tail string, rows [][]any) error {
	const chunk = 500
	for len(rows) > 0 {
		n := min(chunk, len(rows))
		var q strings.Builder
		q.WriteString(head)
		args := make([]any, 0, n*len(rows[0]))
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(tuple)
			args = append(args, r...)
		}
		q.WriteString(tail)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `INSERT INTO meta(key, value) VALUES ('change_seq', '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) RETURNING CAST(value AS INTEGER)`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("change counter: %w", err)
	}
	return seq, nil
}

// LoadSaved reads the state of the last flush.
func (s *Store) LoadSaved(ctx context.Context) (Saved, error) {
	out := Saved{Counters: map[string]Counter{}, Known: map[string]bool{}}
	at, ok, err := s.GetMeta(ctx, "flushed_at")
	if err != nil {
		return out, err
	}
	if ok {
		out.Valid = true
		sec, _ := strconv.ParseInt(at, 10, 64)
		out.At = time.Unix(sec, 0)
		out.Boot.ID, _, _ = s.GetMeta(ctx, "boot_id")
		bt, _, _ := s.GetMeta(ctx, "boot_time")
		out.Boot.Time, _ = strconv.ParseInt(bt, 10, 64)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT n.name, c.sent, c.recv, c.present FROM counters c JOIN nics n ON n.id = c.nic`)
	if err != nil {
		return out, fmt.Errorf("load counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Counter
		var sent, recv, present int64
		if err := rows.Scan(&c.NIC, &sent, &recv, &present); err != nil {
			return out, err
		}
		c.Sent, c.Recv, c.Present = uint64(sent), uint64(recv), present != 0
		out.Counters[c.NIC] = c
		out.Known[c.NIC] = true
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	// Known means known to this device: other devices' NIC names arrive
	// with sync and say nothing about this machine's interfaces.
	known, err := s.r.QueryContext(ctx, `SELECT name FROM nics n WHERE EXISTS (SELECT 1 FROM days d WHERE d.device = 1 AND d.nic = n.id)`)
	if err != nil {
		return out, fmt.Errorf("load known nics: %w", err)
	}
	defer known.Close()
	for known.Next() {
		var n string
		if err := known.Scan(&n); err != nil {
			return out, err
		}
		out.Known[n] = true
	}
	return out, known.Err()
}

// Gaps returns the gap records overlapping [from, to), newest first; a zero
// to means no upper bound.
func (s *Store) Gaps(ctx context.Context, from, to time.Time) ([]Gap, error) {
	end := int64(1 << 62)
	if !to.IsZero() {
		end = to.Unix()
	}
	rows, err := s.r.QueryContext(ctx, `SELECT n.name, nw.key, g.from_ts, g.to_ts, g.sent, g.recv, g.reason
		FROM gaps g JOIN nics n ON n.id = g.nic JOIN networks nw ON nw.id = g.network WHERE g.to_ts >= ? AND g.from_ts < ? ORDER BY g.from_ts DESC, g.id DESC`, from.Unix(), end)
	if err != nil {
		return nil, fmt.Errorf("list gaps: %w", err)
	}
	defer rows.Close()
	out := []Gap{}
	for rows.Next() {
		var g Gap
		var f, t, sent, recv int64
		if err := rows.Scan(&g.NIC, &g.Network, &f, &t, &sent, &recv, &g.Reason); err != nil {
			return nil, err
		}
		g.From, g.To, g.Sent, g.Recv = time.Unix(f, 0).UTC(), time.Unix(t, 0).UTC(), uint64(sent), uint64(recv)
		out = append(out, g)
	}
	return out, rows.Err()
}

// SpreadGap divides a gap's bytes over the buckets of its interval in
// proportion to the seconds each bucket overlaps it. The parts add up to the
// gap exactly: part i is floor(total*t_i/T) - floor(total*t_{i-1}/T).
func SpreadGap(g Gap) []Delta {
	from, to := g.From.Unix(), g.To.Unix()
	if to <= from {
		return []Delta{{NIC: g.NIC, Network: g.Network, Start: AlignBucket(to), Sent: g.Sent, Recv: g.Recv}}
	}
	span := uint64(to - from)
	var out []Delta
	var prevSent, prevRecv uint64
	for b := AlignBucket(from); b < to; b += BucketSeconds {
		end := min(b+BucketSeconds, to)
		elapsed := uint64(end - from)
		cs, cr := mulDiv(g.Sent, elapsed, span), mulDiv(g.Recv, elapsed, span)
		out = append(out, Delta{NIC: g.NIC, Network: g.Network, Start: b, Sent: cs - prevSent, Recv: cr - prevRecv})
		prevSent, prevRecv = cs, cr
	}
	return out
}

// mulDiv returns floor(a*b/c) without overflow; b <= c.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}
