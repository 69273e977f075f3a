package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

var syncZone = time.FixedZone("NPT", 5*3600+2700) // Nepal, +05:45

func openSyncStore(t *testing.T, now time.Time) *Store {
	t.Helper()
	opts := Options{Location: syncZone, Now: testenv.Clock()}
	if !now.IsZero() {
		opts.Now = func() time.Time { return now }
	}
	st, err := Open(context.Background(), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var syncBase = time.Date(2026, 5, 31, 18, 0, 0, 0, time.UTC).Unix() // crosses a local midnight

func flushN(t *testing.T, st *Store, nic string, first, n int, bytes uint64) {
	t.Helper()
	var b Batch
	b.At = time.Unix(syncBase, 0)
	for i := first; i < first+n; i++ {
		b.Deltas = append(b.Deltas, Delta{NIC: nic, Start: syncBase + int64(i)*BucketSeconds, Sent: bytes, Recv: 2 * bytes})
	}
	if err := st.Flush(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// drain reads every pending bucket the way cloudsync does, acknowledging
// after each batch, and returns what it read.
func drain(t *testing.T, st *Store, limit int) []SyncBucket {
	t.Helper()
	ctx := context.Background()
	var out []SyncBucket
	var c PushCursor
	for {
		rows, next, err := st.PendingBuckets(ctx, c, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			// The scan ended right after a full batch: everything up to
			// the cursor is acknowledged.
			if err := st.AckPush(ctx, c.Seq()); err != nil {
				t.Fatal(err)
			}
			return out
		}
		for i := 1; i < len(rows); i++ {
			if rows[i].Seq < rows[i-1].Seq {
				t.Fatalf("pending rows not in change order: %d after %d", rows[i].Seq, rows[i-1].Seq)
			}
		}
		out = append(out, rows...)
		ack := rows[len(rows)-1].Seq
		if len(rows) == limit {
			ack--
		}
		if err := st.AckPush(ctx, ack); err != nil {
			t.Fatal(err)
		}
		if len(rows) < limit {
			return out
		}
		c = next
	}
}

func TestPendingBucketsBatches(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 2, 3, 7, 10, 1000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			ctx := context.Background()
			st := openSyncStore(t, time.Time{})
			flushN(t, st, "eth0", 0, 5, 10)  // seq 1: 5 rows
			flushN(t, st, "wlan0", 0, 1, 10) // seq 2: 1 row
			flushN(t, st, "eth0", 3, 4, 10)  // seq 3: 4 rows, 2 of them already seen
			got := drain(t, st, limit)
			seen := map[[2]any]SyncBucket{}
			for _, b := range got {
				seen[[2]any{b.NIC, b.Start}] = b
			}
			if len(seen) != 8 {
				t.Fatalf("read %d distinct buckets (%d rows), want 8", len(seen), len(got))
			}
			if b := seen[[2]any{"eth0", syncBase + 3*BucketSeconds}]; b.Sent != 20 || b.Recv != 40 {
				t.Errorf("a bucket touched twice has %d/%d, want the absolute 20/40", b.Sent, b.Recv)
			}
			if n, _ := st.PendingCount(ctx); n != 0 {
				t.Errorf("%d pending after draining", n)
			}
			if ack, _ := st.PushAck(ctx); ack != 3 {
				t.Errorf("mark %d, want 3", ack)
			}
			// Only what changed after the mark is pending next time.
			flushN(t, st, "eth0", 0, 1, 1)
			again := drain(t, st, limit)
			if len(again) != 1 || again[0].Start != syncBase || again[0].Sent != 11 {
				t.Errorf("after one more flush: %+v", again)
			}
		})
	}
}

func TestPendingBucketsSeeRowsChangedMidScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openSyncStore(t, time.Time{})
	flushN(t, st, "eth0", 0, 6, 10)
	rows, c, err := st.PendingBuckets(ctx, PushCursor{}, 3)
	if err != nil || len(rows) != 3 {
		t.Fatalf("first batch: %v %v", rows, err)
	}
	// A flush lands between two batches and touches a row already read.
	flushN(t, st, "eth0", 0, 1, 5)
	rest, _, err := st.PendingBuckets(ctx, c, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 4 || rest[3].Start != syncBase || rest[3].Sent != 15 {
		t.Errorf("second batch %+v: want the 3 unread rows and the changed one with its new value", rest)
	}
}

func TestAckPushNeverGoesBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openSyncStore(t, time.Time{})
	for _, step := range []struct{ ack, want int64 }{{5, 5}, {3, 5}, {9, 9}, {0, 9}} {
		if err := st.AckPush(ctx, step.ack); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.PushAck(ctx); got != step.want {
			t.Errorf("after AckPush(%d): %d, want %d", step.ack, got, step.want)
		}
	}
	if err := st.ResetPushAck(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.PushAck(ctx); got != 0 {
		t.Errorf("after reset: %d", got)
	}
}

// checkDays compares the per-day rollup with the buckets, row by row.
func checkDays(t *testing.T, st *Store) {
	t.Helper()
	ctx := context.Background()
	want := map[rollupKey]Traffic{}
	rows, err := st.r.QueryContext(ctx, `SELECT device, nic, network, start, sent, recv FROM buckets`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var dev, nic, network, start, sent, recv int64
		if err := rows.Scan(&dev, &nic, &network, &start, &sent, &recv); err != nil {
			t.Fatal(err)
		}
		k := rollupKey{dev, nic, network, dayKey(start, st.loc)}
		want[k] = want[k].Add(Traffic{Sent: uint64(sent), Received: uint64(recv)})
	}
	rows.Close()
	got := map[rollupKey]Traffic{}
	rows, err = st.r.QueryContext(ctx, `SELECT device, nic, network, day, sent, recv FROM days WHERE sent != 0 OR recv != 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k rollupKey
		var sent, recv int64
		if err := rows.Scan(&k.dev, &k.nic, &k.network, &k.day, &sent, &recv); err != nil {
			t.Fatal(err)
		}
		if sent < 0 || recv < 0 {
			t.Errorf("day %+v: negative rollup %d/%d", k, sent, recv)
		}
		got[k] = Traffic{Sent: uint64(sent), Received: uint64(recv)}
	}
	if len(got) != len(want) {
		t.Fatalf("days has %d non-empty rows, buckets make %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("day %+v: rollup %+v, buckets %+v", k, got[k], v)
		}
	}
}

func TestApplyPulledKeepsDaysExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openSyncStore(t, time.Time{})
	flushN(t, st, "eth0", 0, 4, 100)
	other := Device{UUID: "0b5e0000-0000-4000-8000-000000000001", Name: "desktop", Hostname: "desk", Platform: "windows/amd64",
		FirstSeen: time.Unix(syncBase, 0), LastSeen: time.Unix(syncBase+600, 0)}
	steps := []struct {
		name    string
		devs    []Device
		buckets []SyncBucket
		wantErr bool
		sent    uint64 // the other device's lifetime total after the step
	}{
		{"first pull", []Device{other}, []SyncBucket{
			{Device: other.UUID, NIC: "eth0", Start: syncBase, Sent: 10, Recv: 1},
			{Device: other.UUID, NIC: "Ethernet 2", Start: syncBase + 24*BucketSeconds, Sent: 20, Recv: 2},
		}, false, 30},
		{"grown and shrunk buckets replace, not add", nil, []SyncBucket{
			{Device: other.UUID, NIC: "eth0", Start: syncBase, Sent: 15, Recv: 1},
			{Device: other.UUID, NIC: "Ethernet 2", Start: syncBase + 24*BucketSeconds, Sent: 5, Recv: 0},
		}, false, 20},
		{"same rows again change nothing", nil, []SyncBucket{
			{Device: other.UUID, NIC: "eth0", Start: syncBase, Sent: 15, Recv: 1},
		}, false, 20},
		{"own rows are ignored", nil, []SyncBucket{
			{Device: st.DeviceID(), NIC: "eth0", Start: syncBase, Sent: 1, Recv: 1},
		}, false, 20},
		{"unknown device", nil, []SyncBucket{{Device: "nope", NIC: "eth0", Start: syncBase, Sent: 1}}, true, 20},
		{"unaligned start", nil, []SyncBucket{{Device: other.UUID, NIC: "eth0", Start: syncBase + 1, Sent: 1}}, true, 20},
	}
	for _, step := range steps {
		err := st.ApplyPulled(ctx, step.devs, step.buckets)
		if (err != nil) != step.wantErr {
			t.Fatalf("%s: err %v", step.name, err)
		}
		checkDays(t, st)
		r, err := st.Lifetime(ctx, nil, Scope{Device: other.UUID})
		if err != nil {
			t.Fatal(err)
		}
		if r.Sent != step.sent {
			t.Errorf("%s: other device sent %d, want %d", step.name, r.Sent, step.sent)
		}
		mine, err := st.Lifetime(ctx, nil, Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if mine.Sent != 400 {
			t.Errorf("%s: this device's total changed to %d", step.name, mine.Sent)
		}
	}
	byName, err := st.Lifetime(ctx, nil, Scope{Device: "desktop"})
	if err != nil || byName.Sent != 20 {
		t.Errorf("scope by pulled name: %v %v", byName.Sent, err)
	}
}

func TestRenameDevice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openSyncStore(t, time.Time{})
	other := Device{UUID: "0b5e0000-0000-4000-8000-000000000002", Name: "old", Hostname: "h", Platform: "darwin/arm64"}
	if err := st.ApplyPulled(ctx, []Device{other}, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, device, newName string
		wantErr               error
		wantUUID              string
	}{
		{"this machine", "", "my laptop", nil, st.DeviceID()},
		{"by uuid", other.UUID, "studio", nil, other.UUID},
		{"by current name", "studio", "studio mac", nil, other.UUID},
		{"unknown", "nobody", "x", ErrUnknownDevice, ""},
		{"empty name", other.UUID, "  ", errBadName, ""},
		{"two lines", other.UUID, "a\nb", errBadName, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := st.RenameDevice(ctx, tc.device, tc.newName)
			if tc.wantErr == errBadName {
				if err == nil || errors.Is(err, ErrUnknownDevice) {
					t.Fatalf("rename to %q: %v, want a bad-name error", tc.newName, err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || id != tc.wantUUID {
				t.Fatalf("rename: %q %v, want %q %v", id, err, tc.wantUUID, tc.wantErr)
			}
		})
	}
	// Two devices with one name: the name no longer says which.
	twin := Device{UUID: "0b5e0000-0000-4000-8000-000000000004", Name: "studio mac", Hostname: "h2", Platform: "darwin/arm64"}
	if err := st.ApplyPulled(ctx, []Device{twin}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RenameDevice(ctx, "studio mac", "x"); !errors.Is(err, ErrAmbiguousDevice) {
		t.Errorf("rename by a shared name: %v", err)
	}
	pending, err := st.PendingRenames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[other.UUID] != "studio mac" || pending[st.DeviceID()] != "my laptop" {
		t.Fatalf("pending renames %v", pending)
	}
	// A pull does not undo a rename the server has not seen yet.
	other.Name = "old"
	if err := st.ApplyPulled(ctx, []Device{other, {UUID: st.DeviceID(), Name: "server name"}}, nil); err != nil {
		t.Fatal(err)
	}
	devs, err := st.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if devs[0].Name != "my laptop" || devs[1].Name != "studio mac" || devs[1].UUID != other.UUID {
		t.Errorf("after a pull: %+v", devs)
	}
	// Acknowledged with an outdated name: still pending.
	if err := st.RenamePushed(ctx, other.UUID, "studio"); err != nil {
		t.Fatal(err)
	}
	if err := st.RenamePushed(ctx, st.DeviceID(), "my laptop"); err != nil {
		t.Fatal(err)
	}
	if pending, _ := st.PendingRenames(ctx); len(pending) != 1 || pending[other.UUID] != "studio mac" {
		t.Errorf("pending after acknowledgements: %v", pending)
	}
	// Once acknowledged, the server's name wins again (a rename elsewhere).
	if err := st.ApplyPulled(ctx, []Device{{UUID: st.DeviceID(), Name: "renamed elsewhere"}}, nil); err != nil {
		t.Fatal(err)
	}
	if me, _ := st.LocalDevice(ctx); me.Name != "renamed elsewhere" {
		t.Errorf("local name %q", me.Name)
	}
}

var errBadName = errors.New("bad name")

func TestDevicesTotals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Local now: 2026-06-01 10:00 +05:45. syncBase is 2026-05-31 23:45 local.
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, syncZone)
	st := openSyncStore(t, now)
	flushN(t, st, "eth0", 0, 1, 7)   // 2026-05-31 23:45 local: last month
	flushN(t, st, "eth0", 1, 3, 100) // 2026-06-01 00:00.. local: today
	other := Device{UUID: "0b5e0000-0000-4000-8000-000000000003", Name: "phone", Hostname: "p", Platform: "android/arm64",
		FirstSeen: time.Unix(syncBase-86400, 0), LastSeen: time.Unix(syncBase+3600, 0)}
	if err := st.ApplyPulled(ctx, []Device{other}, []SyncBucket{
		{Device: other.UUID, NIC: "wlan0", Start: syncBase + 4*BucketSeconds, Sent: 50, Recv: 60},
		{Device: other.UUID, NIC: "wlan0", Start: syncBase + 200*BucketSeconds, Sent: 1, Recv: 1}, // tomorrow
	}); err != nil {
		t.Fatal(err)
	}
	devs, err := st.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 {
		t.Fatalf("devices: %+v", devs)
	}
	me, ph := devs[0], devs[1]
	if !me.Local || me.TodaySent != 300 || me.TodayRecv != 600 || me.MonthSent != 300 || me.LastSeen.Unix() != syncBase {
		t.Errorf("this device: %+v", me)
	}
	if ph.Local || ph.Name != "phone" || ph.Platform != "android/arm64" || ph.TodaySent != 50 || ph.MonthRecv != 60 || !ph.LastSeen.Equal(other.LastSeen) {
		t.Errorf("other device: %+v", ph)
	}
}

func TestSyncIndexSize(t *testing.T) {
	t.Parallel()
	// One NIC on one network for one year of 15-minute buckets, flushed a
	// day at a time; the database with the sync index must stay within 2 MB.
	if testing.Short() {
		t.Skip("builds a year of buckets")
	}
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, dir, Options{Location: syncZone, Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	const year = 35040
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := 0; i < year; i += 96 {
		b := Batch{At: time.Unix(start+int64(i)*BucketSeconds, 0)}
		for j := i; j < min(i+96, year); j++ {
			b.Deltas = append(b.Deltas, Delta{NIC: "wlp2s0", Network: WiFiNetwork("Home"), Start: start + int64(j)*BucketSeconds, Sent: uint64(1_000_000 + j*37), Recv: uint64(20_000_000 + j*91)})
		}
		if err := st.Flush(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var index int64
	if err := st.r.QueryRowContext(ctx, `SELECT SUM(pgsize) FROM dbstat WHERE name = 'buckets_pending'`).Scan(&index); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PendingCount(ctx); err != nil || n != year {
		t.Fatalf("pending %d %v", n, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one device-NIC-year on one network: database %d bytes, of which the pending index %d", fi.Size(), index)
	if fi.Size() > 2<<20 {
		t.Errorf("database %d bytes, want at most 2 MiB", fi.Size())
	}
}

func TestMigrationFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	if err := EnsureDataDir(dir); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, FileName), false))
	if err != nil {
		t.Fatal(err)
	}
	body, err := migrationFiles.ReadFile("migrations/001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(body), `PRAGMA user_version = 1`,
		`INSERT INTO devices(id, uuid, name, hostname, platform) VALUES (1, 'u-1', 'old box', 'old', 'linux/386')`,
		`INSERT INTO nics(id, name) VALUES (1, 'eth0')`,
		`INSERT INTO buckets(device, nic, start, sent, recv, seq) VALUES (1, 1, 900, 5, 6, 1)`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st, err := Open(ctx, dir, Options{Location: syncZone, Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	me, err := st.LocalDevice(ctx)
	if err != nil || me.UUID != "u-1" || me.Name != "old box" {
		t.Fatalf("device after upgrade: %+v %v", me, err)
	}
	if n, err := st.PendingCount(ctx); err != nil || n != 1 {
		t.Errorf("existing bucket pending after upgrade: %d %v", n, err)
	}
}

// BenchmarkApplyPulled applies a year of another device's buckets (one
// NIC, 35,040 rows) in chunks of 5,000, as a first pull does.
func BenchmarkApplyPulled(b *testing.B) {
	ctx := context.Background()
	const year = 35040
	other := Device{UUID: "0b5e0000-0000-4000-8000-00000000000b", Name: "other", Hostname: "o", Platform: "linux/arm64"}
	rows := make([]SyncBucket, year)
	for i := range rows {
		rows[i] = SyncBucket{Device: other.UUID, NIC: "eth0", Start: syncBase + int64(i)*BucketSeconds, Sent: uint64(i), Recv: uint64(2 * i)}
	}
	for b.Loop() {
		b.StopTimer()
		st, err := Open(ctx, b.TempDir(), Options{Location: syncZone, Now: testenv.Clock()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i := 0; i < year; i += 5000 {
			devs := []Device(nil)
			if i == 0 {
				devs = []Device{other}
			}
			if err := st.ApplyPulled(ctx, devs, rows[i:min(i+5000, year)]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(year*b.N)/b.Elapsed().Seconds(), "rows/s")
}
