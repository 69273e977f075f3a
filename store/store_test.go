package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func openTest(t testing.TB, dir string, loc *time.Location) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{Location: loc, Now: testenv.Clock()})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func flush(t testing.TB, s *Store, deltas ...Delta) {
	t.Helper()
	if err := s.Flush(context.Background(), Batch{At: testenv.Now(), Deltas: deltas}); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

func unix(t testing.TB, s string) int64 {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.Unix()
}

func TestOpenCreatesPrivateFilesAndKeepsDevice(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(context.Background(), dir, Options{Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	id := s.DeviceID()
	if len(id) != 36 {
		t.Fatalf("device id %q is not a UUID", id)
	}
	flush(t, s, Delta{NIC: "eth0", Start: 900, Sent: 1, Recv: 2})
	s.Close()
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, FileName): 0o600} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s mode %o, want %o", path, got, want)
			}
		}
	}
	s2 := openTest(t, dir, nil)
	if s2.DeviceID() != id {
		t.Errorf("device id changed across opens: %s then %s", id, s2.DeviceID())
	}
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Open(context.Background(), dir, Options{ReadOnly: true}); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("read-only open of an empty dir: %v, want ErrNoDatabase", err)
	}
	w := openTest(t, dir, time.UTC)
	flush(t, w, Delta{NIC: "eth0", Start: unix(t, "2026-01-02T10:00:00Z"), Sent: 10, Recv: 20})
	r, err := Open(context.Background(), dir, Options{ReadOnly: true, Location: time.UTC, Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep, err := r.Day(context.Background(), Date{2026, 1, 2}, time.UTC, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 10 || rep.Recv != 20 {
		t.Errorf("read-only beside writer: got %d/%d, want 10/20", rep.Sent, rep.Recv)
	}
	if err := r.Flush(context.Background(), Batch{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("flush on read-only store: %v, want ErrReadOnly", err)
	}
	// The writer keeps working while a reader is open.
	flush(t, w, Delta{NIC: "eth0", Start: unix(t, "2026-01-02T10:00:00Z"), Sent: 1})
}

func TestFlushSavesCountersWithDeltas(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), time.UTC)
	ctx := context.Background()
	saved, err := s.LoadSaved(ctx)
	if err != nil || saved.Valid {
		t.Fatalf("fresh store: valid=%v err=%v", saved.Valid, err)
	}
	at := time.Unix(unix(t, "2026-03-01T12:00:00Z"), 0)
	paused := true
	b := Batch{
		At:       at,
		Boot:     Boot{ID: "boot-1", Time: 1000},
		Counters: []Counter{{NIC: "eth0", Sent: 5000, Recv: 7000, Present: true}, {NIC: "wlan0", Sent: 1, Recv: 2}},
		Deltas:   []Delta{{NIC: "eth0", Start: at.Unix() + 17, Sent: 100, Recv: 200}},
		Paused:   &paused,
	}
	if err := s.Flush(ctx, b); err != nil {
		t.Fatal(err)
	}
	saved, err = s.LoadSaved(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Valid || !saved.At.Equal(at) || saved.Boot != b.Boot {
		t.Errorf("saved state %+v", saved)
	}
	if c := saved.Counters["eth0"]; c.Sent != 5000 || c.Recv != 7000 || !c.Present {
		t.Errorf("eth0 counters %+v", c)
	}
	if c := saved.Counters["wlan0"]; c.Present {
		t.Errorf("wlan0 should be saved as absent: %+v", c)
	}
	if p, _ := s.Paused(ctx); !p {
		t.Error("pause state not saved with the batch")
	}
	// A cancelled flush stores nothing at all.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	b2 := b
	b2.Counters = []Counter{{NIC: "eth0", Sent: 9999, Recv: 9999, Present: true}}
	if err := s.Flush(cctx, b2); err == nil {
		t.Fatal("flush with a cancelled context succeeded")
	}
	saved, _ = s.LoadSaved(ctx)
	if c := saved.Counters["eth0"]; c.Sent != 5000 {
		t.Errorf("failed flush changed counters: %+v", c)
	}
	rep, err := s.Lifetime(ctx, time.UTC, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 100 || rep.Recv != 200 {
		t.Errorf("lifetime %d/%d, want 100/200", rep.Sent, rep.Recv)
	}
}

func TestSpreadGap(t *testing.T) {
	t.Parallel()
	base := time.Unix(unix(t, "2026-05-01T10:00:00Z"), 0)
	cases := []struct {
		name       string
		from, to   time.Time
		sent, recv uint64
		buckets    int
	}{
		{"zero length", base, base, 10, 20, 1},
		{"inside one bucket", base.Add(time.Minute), base.Add(2 * time.Minute), 7, 3, 1},
		{"two buckets", base.Add(10 * time.Minute), base.Add(20 * time.Minute), 1000, 1, 2},
		{"a day", base, base.Add(24 * time.Hour), 1<<40 + 7, 12345, 96},
		{"a year of huge counters", base, base.Add(365 * 24 * time.Hour), 1<<63 + 12345, 1<<64 - 1, 35040},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := SpreadGap(Gap{NIC: "eth0", From: c.from, To: c.to, Sent: c.sent, Recv: c.recv})
			if len(parts) != c.buckets {
				t.Errorf("%d buckets, want %d", len(parts), c.buckets)
			}
			var s, r uint64
			for i, p := range parts {
				if p.Start%BucketSeconds != 0 {
					t.Fatalf("part %d start %d not aligned", i, p.Start)
				}
				if i > 0 && p.Start != parts[i-1].Start+BucketSeconds {
					t.Fatalf("part %d not consecutive", i)
				}
				s += p.Sent
				r += p.Recv
			}
			if s != c.sent || r != c.recv {
				t.Errorf("spread sums %d/%d, want %d/%d", s, r, c.sent, c.recv)
			}
		})
	}
	// Even spread: a 1-hour gap aligned to buckets splits into equal quarters.
	parts := SpreadGap(Gap{From: base, To: base.Add(time.Hour), Sent: 400, Recv: 4})
	for _, p := range parts {
		if p.Sent != 100 || p.Recv != 1 {
			t.Errorf("uneven spread %+v", parts)
			break
		}
	}
}

func FuzzSpreadGap(f *testing.F) {
	f.Add(int64(1_700_000_000), int64(3600), uint64(12345), uint64(1<<40))
	f.Add(int64(0), int64(0), uint64(0), uint64(0))
	f.Add(int64(1_700_000_123), int64(86400*3+17), uint64(1<<64-1), uint64(1))
	f.Fuzz(func(t *testing.T, from, length int64, sent, recv uint64) {
		if from < 0 || from > 1<<40 || length < 0 || length > 400*86400 {
			t.Skip()
		}
		parts := SpreadGap(Gap{From: time.Unix(from, 0), To: time.Unix(from+length, 0), Sent: sent, Recv: recv})
		var s, r uint64
		for _, p := range parts {
			if p.Sent > sent || p.Recv > recv {
				t.Fatalf("a part exceeds the gap: %+v", p)
			}
			s += p.Sent
			r += p.Recv
		}
		if s != sent || r != recv {
			t.Fatalf("sum %d/%d, want %d/%d", s, r, sent, recv)
		}
	})
}

func TestGapsAreRecordedAndCounted(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), time.UTC)
	ctx := context.Background()
	from := time.Unix(unix(t, "2026-05-01T23:00:00Z"), 0)
	to := from.Add(2 * time.Hour)
	g := Gap{NIC: "eth0", From: from, To: to, Sent: 1200, Recv: 2400, Reason: GapNotRunning}
	if err := s.Flush(ctx, Batch{At: to, Gaps: []Gap{g}}); err != nil {
		t.Fatal(err)
	}
	gaps, err := s.Gaps(ctx, time.Time{}, time.Time{})
	if err != nil || len(gaps) != 1 {
		t.Fatalf("gaps %v err %v", gaps, err)
	}
	if got := gaps[0]; got.Sent != 1200 || got.Reason != GapNotRunning || !got.From.Equal(from) || !got.To.Equal(to) {
		t.Errorf("gap %+v", got)
	}
	// Spread over two days: half before midnight, half after.
	d1, _ := s.Day(ctx, Date{2026, 5, 1}, time.UTC, Scope{})
	d2, _ := s.Day(ctx, Date{2026, 5, 2}, time.UTC, Scope{})
	if d1.Sent != 600 || d2.Sent != 600 || d1.Recv+d2.Recv != 2400 {
		t.Errorf("gap spread over days: %d + %d sent, %d + %d received", d1.Sent, d2.Sent, d1.Recv, d2.Recv)
	}
}

func TestQueriesByNICAndSeries(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), time.UTC)
	ctx := context.Background()
	flush(t, s,
		Delta{NIC: "eth0", Start: unix(t, "2026-02-03T00:00:00Z"), Sent: 1, Recv: 10},
		Delta{NIC: "eth0", Start: unix(t, "2026-02-03T13:45:00Z"), Sent: 2, Recv: 20},
		Delta{NIC: "wlan0", Start: unix(t, "2026-02-03T23:45:00Z"), Sent: 4, Recv: 40},
		Delta{NIC: "wlan0", Start: unix(t, "2026-02-28T10:00:00Z"), Sent: 8, Recv: 80},
		Delta{NIC: "eth0", Start: unix(t, "2026-03-01T00:00:00Z"), Sent: 16, Recv: 160},
		Delta{NIC: "eth0", Start: unix(t, "2025-12-31T23:45:00Z"), Sent: 32, Recv: 320},
	)
	day, err := s.Day(ctx, Date{2026, 2, 3}, time.UTC, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if len(day.Series) != 24 || day.Granularity != ByHour {
		t.Fatalf("day series has %d points (%s)", len(day.Series), day.Granularity)
	}
	if day.Sent != 7 || day.Series[0].Sent != 1 || day.Series[13].Sent != 2 || day.Series[23].Sent != 4 || day.Series[13].Label != "13:00" {
		t.Errorf("day: total %d, series %+v", day.Sent, day.Series)
	}
	if len(day.ByNIC) != 2 || day.ByNIC[0].NIC != "wlan0" || day.ByNIC[0].Sent != 4 || day.ByNIC[1].Sent != 3 {
		t.Errorf("by NIC %+v", day.ByNIC)
	}
	month, err := s.Month(ctx, 2026, 2, time.UTC, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if len(month.Series) != 28 || month.Sent != 15 || month.Series[2].Sent != 7 || month.Series[27].Sent != 8 {
		t.Errorf("february: %d days, total %d", len(month.Series), month.Sent)
	}
	eth, err := s.Month(ctx, 2026, 2, time.UTC, Scope{NIC: "eth0"})
	if err != nil || eth.Sent != 3 {
		t.Errorf("february eth0: %d, %v", eth.Sent, err)
	}
	if _, err := s.Month(ctx, 2026, 2, time.UTC, Scope{NIC: "nope0"}); !errors.Is(err, ErrUnknownNIC) {
		t.Errorf("unknown NIC: %v", err)
	}
	if _, err := s.Month(ctx, 2026, 2, time.UTC, Scope{Device: "no-such-device"}); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("unknown device: %v", err)
	}
	rng, err := s.Range(ctx, Date{2026, 2, 28}, Date{2026, 3, 1}, time.UTC, Scope{})
	if err != nil || rng.Sent != 24 || len(rng.Series) != 2 {
		t.Errorf("inclusive range: %d over %d days, %v", rng.Sent, len(rng.Series), err)
	}
	if _, err := s.Range(ctx, Date{2026, 3, 1}, Date{2026, 2, 1}, time.UTC, Scope{}); err == nil {
		t.Error("end before start accepted")
	}
	s.now = func() time.Time { return time.Unix(unix(t, "2026-03-15T00:00:00Z"), 0) }
	life, err := s.Lifetime(ctx, time.UTC, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if life.Sent != 63 || len(life.Series) != 4 || life.Series[0].Label != "2025-12" || life.Series[3].Sent != 16 {
		t.Errorf("lifetime: %d, series %+v", life.Sent, life.Series)
	}
	top, err := s.TopDays(ctx, time.UTC, Scope{}, 2)
	if err != nil || len(top) != 2 || top[0].Label != "2025-12-31" || top[1].Label != "2026-03-01" {
		t.Errorf("top days %+v %v", top, err)
	}
}

// TestTimeZones checks "today" and "this month" in zones with half- and
// quarter-hour offsets and across daylight saving changes, on both query
// paths: the per-day rollup (store in that zone) and the buckets (store in UTC).
func TestTimeZones(t *testing.T) {
	t.Parallel()
	cases := []struct {
		zone string
		day  Date
		// A bucket just inside the day at each end, and one just outside.
		firstUTC, lastUTC, beforeUTC, afterUTC string
		hours                                  int
	}{
		{"Asia/Kolkata", Date{2026, 11, 27}, "2026-11-26T18:30:00Z", "2026-11-27T18:15:00Z", "2026-11-26T18:15:00Z", "2026-11-27T18:30:00Z", 24},
		{"Asia/Kathmandu", Date{2026, 11, 27}, "2026-11-26T18:15:00Z", "2026-11-27T18:00:00Z", "2026-11-26T18:00:00Z", "2026-11-27T18:15:00Z", 24},
		// DST starts 2026-03-08 in New York: a 23-hour day.
		{"America/New_York", Date{2026, 3, 8}, "2026-03-08T05:00:00Z", "2026-03-09T03:45:00Z", "2026-03-08T04:45:00Z", "2026-03-09T04:00:00Z", 23},
		// DST ends 2026-11-01: a 25-hour day.
		{"America/New_York", Date{2026, 11, 1}, "2026-11-01T04:00:00Z", "2026-11-02T04:45:00Z", "2026-11-01T03:45:00Z", "2026-11-02T05:00:00Z", 25},
	}
	for _, c := range cases {
		loc := mustLoc(t, c.zone)
		for _, path := range []string{"rollup", "buckets"} {
			t.Run(c.zone+"/"+c.day.String()+"/"+path, func(t *testing.T) {
				storeLoc := loc
				if path == "buckets" {
					storeLoc = time.UTC
				}
				s := openTest(t, t.TempDir(), storeLoc)
				ctx := context.Background()
				flush(t, s,
					Delta{NIC: "eth0", Start: unix(t, c.firstUTC), Sent: 1},
					Delta{NIC: "eth0", Start: unix(t, c.lastUTC), Sent: 2},
					Delta{NIC: "eth0", Start: unix(t, c.beforeUTC), Sent: 100},
					Delta{NIC: "eth0", Start: unix(t, c.afterUTC), Sent: 1000},
				)
				day, err := s.Day(ctx, c.day, loc, Scope{})
				if err != nil {
					t.Fatal(err)
				}
				if day.Sent != 3 {
					t.Errorf("today = %d bytes, want 3 (the two buckets inside the local day)", day.Sent)
				}
				if len(day.Series) != c.hours {
					t.Errorf("%d hourly points, want %d", len(day.Series), c.hours)
				}
				if day.Series[0].Sent != 1 || day.Series[len(day.Series)-1].Sent != 2 {
					t.Errorf("first/last hour %d/%d, want 1/2", day.Series[0].Sent, day.Series[len(day.Series)-1].Sent)
				}
				month, err := s.Month(ctx, c.day.Year, c.day.Month, loc, Scope{})
				if err != nil {
					t.Fatal(err)
				}
				var want uint64 = 3
				for _, ts := range []string{c.beforeUTC, c.afterUTC} {
					if tm := time.Unix(unix(t, ts), 0).In(loc); tm.Month() == c.day.Month {
						want += map[string]uint64{c.beforeUTC: 100, c.afterUTC: 1000}[ts]
					}
				}
				if month.Sent != want {
					t.Errorf("month = %d, want %d", month.Sent, want)
				}
				var fromSeries uint64
				for _, p := range month.Series {
					if p.Label == c.day.String() {
						fromSeries = p.Sent
					}
				}
				if fromSeries != 3 {
					t.Errorf("the day's bar in the month series = %d, want 3", fromSeries)
				}
			})
		}
	}
}

func TestRollupRebuiltWhenZoneChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openTest(t, dir, time.UTC)
	flush(t, s, Delta{NIC: "eth0", Start: unix(t, "2026-06-30T20:00:00Z"), Sent: 5})
	s.Close()
	kolkata := mustLoc(t, "Asia/Kolkata")
	s2 := openTest(t, dir, kolkata)
	// 20:00 UTC is 01:30 on 1 July in Kolkata.
	jul, err := s2.Month(context.Background(), 2026, 7, kolkata, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	jun, _ := s2.Month(context.Background(), 2026, 6, kolkata, Scope{})
	if jul.Sent != 5 || jun.Sent != 0 {
		t.Errorf("after the zone change: July %d, June %d; want 5 and 0", jul.Sent, jun.Sent)
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), time.UTC)
	ctx := context.Background()
	flush(t, s,
		Delta{NIC: "eth0", Start: unix(t, "2026-01-01T00:00:00Z"), Sent: 1, Recv: 2},
		Delta{NIC: "wlan0", Network: WiFiNetwork("Home"), Start: unix(t, "2026-01-01T00:15:00Z"), Sent: 3, Recv: 4},
		Delta{NIC: "eth0", Start: unix(t, "2026-01-02T00:00:00Z"), Sent: 5, Recv: 6},
	)
	var buf bytes.Buffer
	n, err := s.Export(ctx, &buf, ExportOptions{Format: FormatCSV, Start: time.Unix(unix(t, "2026-01-01T00:00:00Z"), 0), End: time.Unix(unix(t, "2026-01-02T00:00:00Z"), 0)})
	if err != nil || n != 2 {
		t.Fatalf("export csv: %d rows, %v", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != strings.Join(ExportColumns, ",") || len(recs) != 3 {
		t.Fatalf("csv %v", recs)
	}
	if recs[2][3] != "wlan0" || recs[2][4] != "wifi:Home" || recs[2][5] != "Home" || recs[2][6] != "3" || recs[2][7] != "4" ||
		recs[1][0] != "2026-01-01T00:00:00Z" || recs[1][2] != s.DeviceID() || recs[1][4] != "" || recs[1][5] != UnknownLabel {
		t.Errorf("csv rows %v", recs)
	}
	buf.Reset()
	n, err = s.Export(ctx, &buf, ExportOptions{Format: FormatJSON})
	if err != nil || n != 3 {
		t.Fatalf("export json: %d rows, %v", n, err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatalf("json export does not parse: %v\n%s", err, buf.String())
	}
	if len(rows) != 3 || rows[2]["bytes_received"].(float64) != 6 || rows[1]["network"] != "wifi:Home" || rows[1]["network_label"] != "Home" {
		t.Errorf("json rows %v", rows)
	}
	buf.Reset()
	if _, err := s.Export(ctx, &buf, ExportOptions{Format: "xml"}); err == nil {
		t.Error("unknown format accepted")
	}
	// An empty export is still valid JSON.
	buf.Reset()
	if _, err := s.Export(ctx, &buf, ExportOptions{Format: FormatJSON, Start: time.Unix(0, 0), End: time.Unix(1, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil || len(rows) != 0 {
		t.Errorf("empty json export: %v %q", err, buf.String())
	}
}

func TestLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, _, err := AcquireLock(dir, "http://127.0.0.1:7373/")
	if err != nil {
		t.Fatal(err)
	}
	_, info, err := AcquireLock(dir, "other")
	if !errors.Is(err, ErrLocked) || info != "http://127.0.0.1:7373/" {
		t.Fatalf("second lock: %v, info %q", err, info)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, _, err := AcquireLock(dir, "again")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"2026-13-45", "2026-02-30", "26-01-01", "2026-1-1", "", "2026-01-01T00:00:00Z", "２０２６-01-01"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	d, err := ParseDate("2024-02-29")
	if err != nil || d != (Date{2024, 2, 29}) || d.AddDays(1) != (Date{2024, 3, 1}) {
		t.Errorf("leap day: %v %v", d, err)
	}
}

func TestFlushForgetsCountersOfNICsNoLongerCounted(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), time.UTC)
	ctx := context.Background()
	both := []Counter{{NIC: "eth0", Sent: 1, Present: true}, {NIC: "wlan0", Sent: 2, Present: true}}
	if err := s.Flush(ctx, Batch{At: testenv.Now(), Counters: both}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx, Batch{At: testenv.Now(), Counters: both[:1]}); err != nil {
		t.Fatal(err)
	}
	saved, err := s.LoadSaved(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := saved.Counters["wlan0"]; ok || len(saved.Counters) != 1 {
		t.Errorf("counters after wlan0 stopped being counted: %+v", saved.Counters)
	}
	// A batch without counters (an import) leaves them alone.
	if err := s.Flush(ctx, Batch{At: testenv.Now()}); err != nil {
		t.Fatal(err)
	}
	if saved, _ = s.LoadSaved(ctx); len(saved.Counters) != 1 {
		t.Errorf("a batch without counters dropped them: %+v", saved.Counters)
	}
}

func TestCSVExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), time.UTC)
	flush(t, s, Delta{NIC: "=HYPERLINK(1)", Start: 900, Sent: 1}, Delta{NIC: "eth-0", Start: 900, Sent: 2})
	var buf bytes.Buffer
	if _, err := s.Export(context.Background(), &buf, ExportOptions{Format: FormatCSV}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][3] != "'=HYPERLINK(1)" || recs[2][3] != "eth-0" {
		t.Errorf("nic cells %q, %q", recs[1][3], recs[2][3])
	}
}
