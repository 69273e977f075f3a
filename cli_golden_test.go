package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the commands' output")

// The golden tables are printed at one fixed instant, a Sunday afternoon,
// in a zone with a half-hour offset: never the real date.
var (
	goldenZone = mustLoadLocation("Asia/Kolkata")
	goldenNow  = time.Date(2026, 11, 15, 14, 30, 0, 0, goldenZone)
)

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// goldenRemote is the device that sync pulled into the golden database.
const goldenRemote = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"

// TestCLITablesGolden compares the tables of the usage and device commands
// on a seeded database with testdata/*.golden; -update rewrites them.
func TestCLITablesGolden(t *testing.T) {
	t.Parallel()
	dir := seedGolden(t)
	tests := []struct {
		name string
		args []string
	}{
		{"today", []string{"today", "--by-nic"}},
		{"today-nic", []string{"today", "--nic", "wlan0"}},
		{"month", []string{"month"}},
		{"month-previous", []string{"month", "--by-nic", "2026-10"}},
		{"range", []string{"range", "--from", "2026-11-10", "--to", "2026-11-15"}},
		{"range-other-zone", []string{"range", "--from", "2026-11-14", "--to", "2026-11-15", "--tz", "America/New_York"}},
		{"summary", []string{"summary", "--top", "3"}},
		{"summary-all-devices", []string{"summary", "--all-devices", "--top", "3"}},
		{"gaps", []string{"gaps"}},
		{"devices", []string{"devices"}},
		{"networks", []string{"networks"}},
		{"month-by-network", []string{"month", "--by-network"}},
		{"today-nic-network", []string{"today", "--by-nic", "--by-network", "--network", "Pixel hotspot", "--nic", "wlan0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := goldenCLI(t, dir, tt.args...)
			if tt.name == "devices" {
				out = normalizeLocalDevice(t, dir, out)
			}
			checkGolden(t, tt.name, out)
		})
	}
}

// TestSyncStatusGolden compares "sync status" on a saved status with
// testdata/sync-status.golden.
func TestSyncStatusGolden(t *testing.T) {
	// The server comes from the configuration file, not the environment.
	t.Setenv(cloudsync.EnvDatabaseURL, "")
	t.Setenv(cloudsync.EnvNeonURL, "")
	dir := seedGolden(t)
	st := openSeedStore(t, dir, goldenZone, func() time.Time { return goldenNow })
	// The status the app's syncer saved after a failed attempt.
	saved := `{"last_attempt":"2026-11-15T08:55:00Z","last_success":"2026-11-15T06:40:00Z",` +
		`"last_error":"connect: connection refused","consecutive_failures":2,"last_pushed":12,"last_pulled":30}`
	if err := st.SetMeta(context.Background(), "sync_status", saved); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "sync-status", goldenCLI(t, dir, "sync", "status"))
}

// goldenCLI runs a command at the golden instant and zone and returns what
// it printed.
func goldenCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	e, out, errb := testEnv()
	e.now = func() time.Time { return goldenNow }
	e.zone = goldenZone
	if code := runIn(context.Background(), e, dir, args...); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errb)
	}
	return out.String()
}

// The golden networks: the home Wi-Fi, a phone's hotspot and a wired
// network known by its gateway's MAC address; and the unknown one.
const (
	goldenHome    = "wifi:Home"
	goldenHotspot = "wifi:Pixel hotspot"
	goldenWired   = "gateway:52:54:00:12:34:56"
)

// seedGolden writes the golden database: two weeks of this device's
// traffic on two NICs and three networks, a day in the month before (from
// before networks were recorded), a gap, and a second device pulled by
// sync.
func seedGolden(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	config := "[sync]\nenabled = true\ndatabase_url = \"postgres://pb@sync.example.org/packetbuddy\"\n"
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := openSeedStore(t, dir, goldenZone, func() time.Time { return goldenNow })
	at := func(day, hour, minute int) int64 {
		return time.Date(2026, 11, day, hour, minute, 0, 0, goldenZone).Unix()
	}
	const mb = 1_000_000
	// Each batch is flushed at the end of its last bucket, in order, so
	// that networks are first seen in the order they appear here.
	flush := func(deltas []store.Delta, gaps ...store.Gap) {
		t.Helper()
		last := deltas[len(deltas)-1].Start
		b := store.Batch{At: time.Unix(last+store.BucketSeconds, 0), Deltas: deltas, Gaps: gaps}
		if err := st.Flush(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// October, from before networks were recorded.
	flush([]store.Delta{{NIC: "eth0", Start: time.Date(2026, 10, 3, 21, 0, 0, 0, goldenZone).Unix(), Sent: 250 * mb, Recv: 1_750 * mb}})
	flush([]store.Delta{{NIC: "wlan0", Network: goldenHome, Start: time.Date(2026, 10, 31, 23, 45, 0, 0, goldenZone).Unix(), Sent: 3 * mb, Recv: 9 * mb}})
	for day := 1; day <= 14; day++ {
		var gaps []store.Gap
		if day == 12 {
			gaps = append(gaps, store.Gap{NIC: "eth0", Network: goldenWired, From: time.Unix(at(12, 1, 0), 0), To: time.Unix(at(12, 7, 30), 0),
				Sent: 2 * mb, Recv: 6 * mb, Reason: store.GapNotRunning})
		}
		flush([]store.Delta{{NIC: "eth0", Network: goldenWired, Start: at(day, 20, 0), Sent: uint64(day) * 10 * mb, Recv: uint64(day) * 40 * mb}}, gaps...)
	}
	today := store.Batch{At: goldenNow.Add(-30 * time.Second), Deltas: []store.Delta{
		{NIC: "eth0", Network: goldenWired, Start: at(15, 9, 0), Sent: 120 * mb, Recv: 480 * mb},
		{NIC: "wlan0", Network: goldenHotspot, Start: at(15, 13, 45), Sent: 5 * mb, Recv: 20 * mb},
	}}
	if err := st.Flush(ctx, today); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RenameDevice(ctx, "", "laptop"); err != nil {
		t.Fatal(err)
	}
	remote := store.Device{UUID: goldenRemote, Name: "desk-pc", Hostname: "desk-pc", Platform: "windows/amd64",
		FirstSeen: goldenNow.AddDate(0, -2, 0), LastSeen: goldenNow.Add(-3 * time.Hour)}
	buckets := []store.SyncBucket{
		{Device: goldenRemote, NIC: "Ethernet", Start: at(15, 8, 0), Sent: 40 * mb, Recv: 160 * mb},
		{Device: goldenRemote, NIC: "Ethernet", Start: at(3, 18, 30), Sent: 900 * mb, Recv: 2_100 * mb},
	}
	if err := st.ApplyPulled(ctx, []store.Device{remote}, buckets); err != nil {
		t.Fatal(err)
	}
	return dir
}

// normalizeLocalDevice replaces what differs between machines in the
// devices table: this device's random id and its platform, which the
// remote device's longer platform keeps from changing the column's width.
func normalizeLocalDevice(t *testing.T, dir, out string) string {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	const want = "linux/amd64"
	if len(platform) > len("windows/amd64") {
		t.Skipf("platform %s is wider than the golden column", platform)
	}
	out = strings.Replace(out, st.DeviceID(), "00000000-0000-4000-8000-000000000001", 1)
	return strings.Replace(out, platform+strings.Repeat(" ", len("windows/amd64")-len(platform)),
		want+strings.Repeat(" ", len("windows/amd64")-len(want)), 1)
}

// checkGolden compares got with testdata/name.golden, or rewrites the file
// when the tests run with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it; review the diff):\n--- got\n%s--- want\n%s", path, got, want)
	}
}
