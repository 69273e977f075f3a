package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Date is a calendar date in some time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a strict YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil || len(s) != 10 {
		return Date{}, fmt.Errorf("bad date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// ParseMonth parses a strict YYYY-MM month and returns its first day.
func ParseMonth(s string) (Date, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Date{}, fmt.Errorf("bad month %q: want YYYY-MM", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Start returns the first instant of the date in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the date n days later.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.key() < o.key() }

func (d Date) key() int64 { return int64(d.Year)*10000 + int64(d.Month)*100 + int64(d.Day) }

// dayNumber counts days from 1970-01-01.
func (d Date) dayNumber() int64 { return d.Start(time.UTC).Unix() / (24 * 60 * 60) }

func dateFromKey(k int64) Date { return Date{int(k / 10000), time.Month(k / 100 % 100), int(k % 100)} }

// Scope restricts a query to a device, a NIC and a network.
type Scope struct {
	// Device is "" for this device, "all" for every device, or a device's
	// UUID or name.
	Device string
	// NIC is "" for every NIC, or one NIC's name.
	NIC string
	// Network is "" for every network, or one network's key or label.
	Network string
}

// Point is one step of a chart series, or one day of a top-days list.
type Point struct {
	Start time.Time // first instant of the step, in the query's zone
	Label string    // "15:00", "2026-11-27" or "2026-11"
	Sent  uint64
	Recv  uint64
}

// NICTotal is one NIC's share of a report.
type NICTotal struct {
	NIC  string
	Sent uint64
	Recv uint64
}

// Granularities of a report's series.
const (
	ByHour  = "hour"
	ByDay   = "day"
	ByMonth = "month"
)

// Report is the usage of a period: totals, per NIC, per network, and a
// chart series.
type Report struct {
	From, To    Date // inclusive local dates
	Start, End  time.Time
	Location    *time.Location
	Granularity string
	Sent, Recv  uint64
	ByNIC       []NICTotal
	ByNetwork   []NetworkTotal // largest first
	Series      []Point
}

type scopeSQL struct {
	where string
	args  []any
}

// resolveScope turns a scope into a condition on the table aliased alias.
// A device, NIC or network the database does not know is a *QueryError.
func (s *Store) resolveScope(ctx context.Context, sc Scope, alias string) (scopeSQL, error) {
	var parts []string
	var args []any
	switch sc.Device {
	case "":
		parts = append(parts, alias+".device = 1")
	case "all":
	default:
		id, _, err := resolveDevice(ctx, s.r, sc.Device)
		if err != nil {
			return scopeSQL{}, err
		}
		parts = append(parts, alias+".device = ?")
		args = append(args, id)
	}
	if sc.NIC != "" {
		var id int64
		err := s.r.QueryRowContext(ctx, `SELECT id FROM nics WHERE name = ?`, sc.NIC).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			recorded, err := s.NICs(ctx)
			if err != nil {
				return scopeSQL{}, err
			}
			return scopeSQL{}, unknownNIC(sc.NIC, recorded)
		}
		if err != nil {
			return scopeSQL{}, fmt.Errorf("resolve nic: %w", err)
		}
		parts = append(parts, alias+".nic = ?")
		args = append(args, id)
	}
	if sc.Network != "" {
		n, err := resolveNetwork(ctx, s.r, sc.Network)
		if err != nil {
			return scopeSQL{}, err
		}
		parts = append(parts, alias+".network = ?")
		args = append(args, n.id)
	}
	if len(parts) == 0 {
		return scopeSQL{where: "1 = 1"}, nil
	}
	return scopeSQL{where: strings.Join(parts, " AND "), args: args}, nil
}

// rowQuerier is a *sql.DB or a *sql.Tx.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// resolveDevice finds a device by UUID or name: a UUID wins, and a name
// must name exactly one device. An unknown or ambiguous device is a
// *QueryError.
func resolveDevice(ctx context.Context, q rowQuerier, device string) (id int64, uuid string, err error) {
	var named int
	err = q.QueryRowContext(ctx, `SELECT id, uuid, (SELECT COUNT(*) FROM devices WHERE name = ?1)
		FROM devices WHERE uuid = ?1 OR name = ?1 ORDER BY uuid != ?1, id LIMIT 1`, device).Scan(&id, &uuid, &named)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", unknownDevice(device)
	}
	if err != nil {
		return 0, "", fmt.Errorf("resolve device: %w", err)
	}
	if uuid != device && named > 1 {
		return 0, "", ambiguousDevice(device)
	}
	return id, uuid, nil
}

func (s *Store) nicNames(ctx context.Context) (map[int64]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name FROM nics`)
	if err != nil {
		return nil, fmt.Errorf("list nics: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// usageKey is a NIC id and a network id.
type usageKey struct{ nic, network int64 }

// sums is traffic indexed by interval, then NIC and network.
type sums []map[usageKey]Traffic

// sumBetween adds up usage in the intervals [bounds[i], bounds[i+1]). When
// days is true every bound is a local midnight in loc and the per-day rollup,
// checked to be in a zone equal to loc, answers; otherwise the 15-minute
// buckets do.
func (s *Store) sumBetween(ctx context.Context, bounds []time.Time, loc *time.Location, sc scopeSQL, days bool) (sums, error) {
	out := make(sums, len(bounds)-1)
	for i := range out {
		out[i] = map[usageKey]Traffic{}
	}
	if len(bounds) < 2 {
		return out, nil
	}
	rows, keys, err := s.usageRows(ctx, bounds, loc, sc, days)
	if err != nil {
		return nil, fmt.Errorf("query usage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u usageKey
		var k, sent, recv int64
		if err := rows.Scan(&u.nic, &u.network, &k, &sent, &recv); err != nil {
			return nil, err
		}
		// The interval i with keys[i] <= k < keys[i+1].
		i := sort.Search(len(keys), func(j int) bool { return keys[j] > k }) - 1
		if i < 0 || i >= len(out) {
			continue
		}
		out[i][u] = out[i][u].Add(Traffic{Sent: uint64(sent), Received: uint64(recv)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query usage: %w", err)
	}
	return out, nil
}

// usageRows queries the usage between the first and the last bound as rows
// of (NIC id, network id, key, sent, received), and returns the keys of the bounds: a
// day (yyyymmdd) of the rollup, or a bucket start.
func (s *Store) usageRows(ctx context.Context, bounds []time.Time, loc *time.Location, sc scopeSQL, days bool) (*sql.Rows, []int64, error) {
	keys := make([]int64, len(bounds))
	if !days {
		for i, b := range bounds {
			keys[i] = b.Unix()
		}
		rows, err := s.r.QueryContext(ctx, `SELECT b.nic, b.network, b.start, SUM(b.sent), SUM(b.recv) FROM buckets b
			WHERE `+sc.where+` AND b.start >= ? AND b.start < ? GROUP BY b.nic, b.network, b.start`,
			append(sc.args, keys[0], keys[len(keys)-1])...)
		return rows, keys, err
	}
	monthly := true
	for i, b := range bounds {
		keys[i] = DateOf(b.In(loc)).key()
		monthly = monthly && keys[i]%100 == 1
	}
	// Month steps (every bound a first of the month) are summed per month
	// by SQLite: 120 rows for ten years instead of 3,650.
	group := "d.day"
	if monthly {
		group = "(d.day / 100) * 100 + 1"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT d.nic, d.network, `+group+` AS k, SUM(d.sent), SUM(d.recv) FROM days d
		WHERE `+sc.where+` AND d.day >= ? AND d.day < ? GROUP BY d.nic, d.network, k`,
		append(sc.args, keys[0], keys[len(keys)-1])...)
	return rows, keys, err
}

func (s *Store) report(ctx context.Context, sc Scope, loc *time.Location, bounds []time.Time, labels []string, gran string, days bool) (Report, error) {
	if loc == nil {
		loc = s.loc
	}
	r := Report{Location: loc, Granularity: gran, Start: bounds[0], End: bounds[len(bounds)-1],
		Series: []Point{}, ByNIC: []NICTotal{}, ByNetwork: []NetworkTotal{}}
	r.From = DateOf(r.Start.In(loc))
	r.To = DateOf(r.End.Add(-time.Second).In(loc))
	if days {
		var err error
		if days, err = s.rollupServes(ctx, loc); err != nil {
			return r, err
		}
	}
	q, err := s.resolveScope(ctx, sc, map[bool]string{true: "d", false: "b"}[days])
	if err != nil {
		return r, err
	}
	res, err := s.sumBetween(ctx, bounds, loc, q, days)
	if err != nil {
		return r, err
	}
	perNIC, perNetwork := map[int64]Traffic{}, map[int64]Traffic{}
	for i, m := range res {
		var step Traffic
		for u, v := range m {
			step = step.Add(v)
			perNIC[u.nic] = perNIC[u.nic].Add(v)
			perNetwork[u.network] = perNetwork[u.network].Add(v)
		}
		r.Sent += step.Sent
		r.Recv += step.Received
		r.Series = append(r.Series, Point{Start: bounds[i].In(loc), Label: labels[i], Sent: step.Sent, Recv: step.Received})
	}
	if err := s.splitReport(ctx, &r, perNIC, perNetwork); err != nil {
		return r, err
	}
	return r, nil
}

// splitReport fills a report's ByNIC and ByNetwork from the traffic per
// NIC id and per network id, largest first.
func (s *Store) splitReport(ctx context.Context, r *Report, perNIC, perNetwork map[int64]Traffic) error {
	names, err := s.nicNames(ctx)
	if err != nil {
		return err
	}
	for id, v := range perNIC {
		r.ByNIC = append(r.ByNIC, NICTotal{NIC: names[id], Sent: v.Sent, Recv: v.Received})
	}
	sort.Slice(r.ByNIC, func(i, j int) bool {
		a, b := r.ByNIC[i], r.ByNIC[j]
		if a.Sent+a.Recv != b.Sent+b.Recv {
			return a.Sent+a.Recv > b.Sent+b.Recv
		}
		return a.NIC < b.NIC
	})
	if len(perNetwork) == 0 {
		return nil
	}
	networks, err := networkRows(ctx, s.r)
	if err != nil {
		return err
	}
	for _, n := range networks {
		if v, ok := perNetwork[n.id]; ok {
			r.ByNetwork = append(r.ByNetwork, NetworkTotal{Key: n.key, Label: n.label, Sent: v.Sent, Recv: v.Received})
		}
	}
	sort.SliceStable(r.ByNetwork, func(i, j int) bool {
		a, b := r.ByNetwork[i], r.ByNetwork[j]
		if a.Sent+a.Recv != b.Sent+b.Recv {
			return a.Sent+a.Recv > b.Sent+b.Recv
		}
		return a.Label < b.Label
	})
	return nil
}

// Day reports one local day with an hourly series (23 or 25 hours on the
// days daylight saving time starts or ends).
func (s *Store) Day(ctx context.Context, d Date, loc *time.Location, sc Scope) (Report, error) {
	if loc == nil {
		loc = s.loc
	}
	start, end := d.Start(loc), d.AddDays(1).Start(loc)
	var bounds []time.Time
	var labels []string
	for t := start; t.Before(end); t = t.Add(time.Hour) {
		bounds = append(bounds, t)
		labels = append(labels, t.In(loc).Format("15:04"))
	}
	bounds = append(bounds, end)
	return s.report(ctx, sc, loc, bounds, labels, ByHour, false)
}

// Range reports the inclusive local dates from..to with a daily series.
// A range that CheckRange refuses is a *QueryError.
func (s *Store) Range(ctx context.Context, from, to Date, loc *time.Location, sc Scope) (Report, error) {
	if loc == nil {
		loc = s.loc
	}
	if err := CheckRange(from, to); err != nil {
		return Report{}, err
	}
	var bounds []time.Time
	var labels []string
	for d := from; !to.Before(d); d = d.AddDays(1) {
		bounds = append(bounds, d.Start(loc))
		labels = append(labels, d.String())
	}
	bounds = append(bounds, to.AddDays(1).Start(loc))
	return s.report(ctx, sc, loc, bounds, labels, ByDay, true)
}

// Month reports one calendar month with a daily series.
func (s *Store) Month(ctx context.Context, year int, month time.Month, loc *time.Location, sc Scope) (Report, error) {
	first := Date{year, month, 1}
	last := DateOf(time.Date(year, month+1, 0, 12, 0, 0, 0, time.UTC))
	return s.Range(ctx, first, last, loc, sc)
}

// Lifetime reports everything recorded with a monthly series, from the first
// month with data to the current month.
func (s *Store) Lifetime(ctx context.Context, loc *time.Location, sc Scope) (Report, error) {
	if loc == nil {
		loc = s.loc
	}
	now := s.now().In(loc)
	first := Date{now.Year(), now.Month(), 1}
	if f, ok, err := s.firstDate(ctx, loc, sc); err != nil {
		return Report{}, err
	} else if ok && f.Before(first) {
		first = Date{f.Year, f.Month, 1}
	}
	// Usage recorded while the wall clock was ahead lies after now; the
	// lifetime includes it.
	end := Date{now.Year(), now.Month(), 1}
	if l, ok, err := s.lastDate(ctx, loc, sc); err != nil {
		return Report{}, err
	} else if ok && end.Before(l) {
		end = Date{l.Year, l.Month, 1}
	}
	var bounds []time.Time
	var labels []string
	for t := first.Start(loc); !end.Start(loc).Before(t); t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc) {
		bounds = append(bounds, t)
		labels = append(labels, t.Format("2006-01"))
	}
	last := bounds[len(bounds)-1]
	bounds = append(bounds, time.Date(last.Year(), last.Month()+1, 1, 0, 0, 0, 0, loc))
	return s.report(ctx, sc, loc, bounds, labels, ByMonth, true)
}

// firstDate is the local date of the earliest recorded usage in scope.
func (s *Store) firstDate(ctx context.Context, loc *time.Location, sc Scope) (Date, bool, error) {
	return s.edgeDate(ctx, loc, sc, "MIN")
}

// lastDate is the local date of the latest recorded usage in scope.
func (s *Store) lastDate(ctx context.Context, loc *time.Location, sc Scope) (Date, bool, error) {
	return s.edgeDate(ctx, loc, sc, "MAX")
}

// edgeDate is firstDate (agg "MIN") or lastDate (agg "MAX").
func (s *Store) edgeDate(ctx context.Context, loc *time.Location, sc Scope, agg string) (Date, bool, error) {
	var v sql.NullInt64
	rollup, err := s.rollupServes(ctx, loc)
	if err != nil {
		return Date{}, false, err
	}
	if rollup {
		q, err := s.resolveScope(ctx, sc, "d")
		if err != nil {
			return Date{}, false, err
		}
		if err := s.r.QueryRowContext(ctx, `SELECT `+agg+`(d.day) FROM days d WHERE `+q.where, q.args...).Scan(&v); err != nil {
			return Date{}, false, fmt.Errorf("edge day: %w", err)
		}
		return dateFromKey(v.Int64), v.Valid, nil
	}
	q, err := s.resolveScope(ctx, sc, "b")
	if err != nil {
		return Date{}, false, err
	}
	if err := s.r.QueryRowContext(ctx, `SELECT `+agg+`(b.start) FROM buckets b WHERE `+q.where, q.args...).Scan(&v); err != nil {
		return Date{}, false, fmt.Errorf("edge day: %w", err)
	}
	return DateOf(time.Unix(v.Int64, 0).In(loc)), v.Valid, nil
}

// TopDays returns the n local days with the most traffic, largest first.
func (s *Store) TopDays(ctx context.Context, loc *time.Location, sc Scope, n int) ([]Point, error) {
	if loc == nil {
		loc = s.loc
	}
	rollup, err := s.rollupServes(ctx, loc)
	if err != nil {
		return nil, err
	}
	if rollup {
		return s.topDaysFromRollup(ctx, loc, sc, n)
	}
	return s.topDaysFromBuckets(ctx, loc, sc, n)
}

// topDaysFromRollup is TopDays when the per-day rollup is in loc.
func (s *Store) topDaysFromRollup(ctx context.Context, loc *time.Location, sc Scope, n int) ([]Point, error) {
	q, err := s.resolveScope(ctx, sc, "d")
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT d.day, SUM(d.sent), SUM(d.recv) FROM days d WHERE `+q.where+`
		GROUP BY d.day ORDER BY SUM(d.sent) + SUM(d.recv) DESC, d.day DESC LIMIT ?`, append(q.args, n)...)
	if err != nil {
		return nil, fmt.Errorf("top days: %w", err)
	}
	defer rows.Close()
	out := []Point{}
	for rows.Next() {
		var day, sent, recv int64
		if err := rows.Scan(&day, &sent, &recv); err != nil {
			return nil, err
		}
		d := dateFromKey(day)
		out = append(out, Point{Start: d.Start(loc), Label: d.String(), Sent: uint64(sent), Recv: uint64(recv)})
	}
	return out, rows.Err()
}

// topDaysFromBuckets is TopDays summing the buckets into days of loc.
func (s *Store) topDaysFromBuckets(ctx context.Context, loc *time.Location, sc Scope, n int) ([]Point, error) {
	q, err := s.resolveScope(ctx, sc, "b")
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT b.start, SUM(b.sent), SUM(b.recv) FROM buckets b WHERE `+q.where+` GROUP BY b.start`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("top days: %w", err)
	}
	defer rows.Close()
	perDay := map[int64]Traffic{}
	for rows.Next() {
		var start, sent, recv int64
		if err := rows.Scan(&start, &sent, &recv); err != nil {
			return nil, err
		}
		k := dayKey(start, loc)
		perDay[k] = perDay[k].Add(Traffic{Sent: uint64(sent), Received: uint64(recv)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Point{}
	for k, v := range perDay {
		d := dateFromKey(k)
		out = append(out, Point{Start: d.Start(loc), Label: d.String(), Sent: v.Sent, Recv: v.Received})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Sent+out[i].Recv, out[j].Sent+out[j].Recv
		if a != b {
			return a > b
		}
		return out[i].Label > out[j].Label
	})
	return out[:min(n, len(out))], nil
}
