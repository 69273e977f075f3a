package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/config"
	"github.com/packetbuddy/packetbuddy/dashboard"
	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// testEnv is an env on the test clock and in the machine's zone, writing
// to buffers.
func testEnv() (e *env, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	e = newEnv(stdout, stderr)
	e.now = testenv.Now
	return e, stdout, stderr
}

// runIn runs the command line in-process with e, against the configuration
// file and the data directory in dir.
func runIn(ctx context.Context, e *env, dir string, args ...string) int {
	full := append([]string{"--config", filepath.Join(dir, "config.toml"), "--data-dir", filepath.Join(dir, "data")}, args...)
	return run(ctx, e, full)
}

// cli runs the command line in-process against the configuration file and
// the data directory in dir, on the test clock.
func cli(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	e, out, errb := testEnv()
	code = runIn(context.Background(), e, dir, args...)
	return out.String(), errb.String(), code
}

// seed writes usage straight into the data dir's database, flushed at the
// test clock's now.
func seed(t *testing.T, dir string, loc *time.Location, deltas ...store.Delta) {
	t.Helper()
	st := openSeedStore(t, dir, loc, testenv.Now)
	if err := st.Flush(context.Background(), store.Batch{At: testenv.Now(), Deltas: deltas}); err != nil {
		t.Fatal(err)
	}
}

// openSeedStore opens the data dir's database for writing, closed when the
// test ends.
func openSeedStore(t *testing.T, dir string, loc *time.Location, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"), store.Options{Location: loc, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestBadArgumentsExit2WithOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string // the message names the bad argument
	}{
		{[]string{"range", "--from", "2026-13-45", "--to", "2026-01-01"}, `--from: bad date "2026-13-45"`},
		{[]string{"range", "--from", "2026-02-01", "--to", "2026-01-01"}, "end 2026-01-01 is before start 2026-02-01"},
		{[]string{"range", "--from", "2000-01-01", "--to", "2021-01-01"}, "range 2000-01-01..2021-01-01 is longer than 20 years"},
		{[]string{"range", "--from", "2026-02-01"}, "--to"},
		{[]string{"export", "--format", "xml"}, `"xml"`},
		{[]string{"export", "--from", "2000-01-01", "--to", "2021-01-01"}, "range 2000-01-01..2021-01-01 is longer than 20 years"},
		{[]string{"export", "--to", "2026-02-30"}, `--to: bad date "2026-02-30"`},
		{[]string{"month", "2026-13"}, `bad month "2026-13"`},
		{[]string{"today", "--tz", "Mars/Olympus"}, `"Mars/Olympus"`},
		{[]string{"today", "--bogus"}, "-bogus"},
		{[]string{"today", "--nic", "nope0"}, `unknown NIC "nope0" (nothing recorded yet)`},
		{[]string{"summary", "--device", "nope"}, `unknown device "nope" (see "packetbuddy devices")`},
		{[]string{"summary", "--top", "-1"}, "--top -1"},
		{[]string{"sync", "later"}, "status, now"},
		{[]string{"--bogus"}, "-bogus"},
		{[]string{"nosuchcommand"}, `"nosuchcommand"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := cli(t, t.TempDir(), tt.args...)
			checkUsageError(t, stdout, stderr, code, tt.want)
		})
	}
}

// checkUsageError checks a refused command line: exit 2, nothing on
// stdout, and exactly one line on stderr that names what was wrong (want).
func checkUsageError(t *testing.T, stdout, stderr string, code int, want string) {
	t.Helper()
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if lines := strings.Count(stderr, "\n"); lines != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr has %d lines, want 1:\n%s", lines, stderr)
	}
	if !strings.HasPrefix(stderr, "packetbuddy: ") || !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want \"packetbuddy: \" and %q", stderr, want)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
}

func TestHelpExit0(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"today", "-h"}, {"sync", "-h"}} {
		_, stderr, code := cli(t, t.TempDir(), args...)
		if code != exitOK || !strings.Contains(stderr, "Usage") || !strings.Contains(stderr, "-data-dir") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
}

func TestBadConfigExit2WithPosition(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte("[monitor]\npoll_intervall = \"1s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := cli(t, dir, "today")
	if code != exitUsage || !strings.Contains(stderr, cfg+":2:1") || !strings.Contains(stderr, "monitor.poll_intervall") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	// version works whatever the configuration says.
	out, _, code := cli(t, dir, "version")
	if code != 0 || !strings.HasPrefix(out, "packetbuddy ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestUsageCommandsJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// No database yet: zeros, not an error.
	out, stderr, code := cli(t, dir, "today", "--json")
	if code != 0 {
		t.Fatalf("today without data: %d %s", code, stderr)
	}
	var r report.JSON
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.TotalBytes != 0 {
		t.Fatalf("today without data: %v %q", err, out)
	}
	now := testenv.Now()
	seed(t, dir, localZone(),
		store.Delta{NIC: "eth0", Start: now.Unix(), Sent: 1000, Recv: 2000},
		store.Delta{NIC: "wlan0", Start: now.Unix(), Sent: 10, Recv: 20},
	)
	for _, cmd := range [][]string{{"today"}, {"month"}, {"summary"}, {"range", "--from", now.AddDate(0, 0, -3).Format("2006-01-02"), "--to", now.Format("2006-01-02")}} {
		out, stderr, code := cli(t, dir, append(cmd, "--json", "--nic", "eth0")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", cmd, code, stderr)
		}
		var r report.JSON
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		if r.BytesSent != 1000 || r.BytesReceived != 2000 || r.TotalBytes != 3000 || r.HumanReadable.Total != "3.00 kB" || r.Cost.CurrencyCode != "INR" {
			t.Errorf("%v --nic eth0: %+v", cmd, r.Usage)
		}
	}
	_, stderr, code = cli(t, dir, "today", "--nic", "nope0")
	if code != exitUsage || !strings.Contains(stderr, "eth0") {
		t.Errorf("unknown NIC: %d %q", code, stderr)
	}
}

// TestTodayInZones checks "today" and "month" in zones with half- and
// quarter-hour offsets and with daylight saving time.
func TestTodayInZones(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"Asia/Kolkata", "Asia/Kathmandu", "America/New_York"} {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			now := testenv.Now().In(loc)
			midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
			seed(t, dir, loc,
				store.Delta{NIC: "eth0", Start: midnight.Unix(), Sent: 1},                          // first bucket of today
				store.Delta{NIC: "eth0", Start: midnight.Add(-15 * time.Minute).Unix(), Sent: 100}, // last bucket of yesterday
			)
			r := cliJSONIn(t, loc, dir, "today", "--json")
			if r.BytesSent != 1 || r.Period.TimeZone != zone {
				t.Errorf("today in %s: %d bytes (want 1), zone %q", zone, r.BytesSent, r.Period.TimeZone)
			}
			want := uint64(101)
			if midnight.Day() == 1 {
				want = 1
			}
			if r := cliJSONIn(t, loc, dir, "month", "--json"); r.BytesSent != want {
				t.Errorf("month in %s: %d bytes, want %d", zone, r.BytesSent, want)
			}
		})
	}
}

// cliJSONIn runs a usage command with --json as if the machine were in loc.
func cliJSONIn(t *testing.T, loc *time.Location, dir string, args ...string) report.JSON {
	t.Helper()
	e, out, errb := testEnv()
	e.zone = loc
	if code := runIn(context.Background(), e, dir, args...); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errb)
	}
	var r report.JSON
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return r
}

// TestLocalZoneFollowsTZ: the machine's zone is TZ's, under its IANA name.
func TestLocalZoneFollowsTZ(t *testing.T) {
	for _, tt := range []struct{ tz, want string }{
		{"Asia/Kathmandu", "Asia/Kathmandu"},
		{":America/New_York", "America/New_York"},
		{"", "UTC"},
	} {
		t.Setenv("TZ", tt.tz)
		if got := localZone().String(); got != tt.want {
			t.Errorf("TZ=%q: zone %q, want %q", tt.tz, got, tt.want)
		}
	}
}

func TestExportCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seed(t, dir, localZone(), store.Delta{NIC: "eth0", Start: testenv.Now().Unix(), Sent: 5, Recv: 6})
	file := filepath.Join(dir, "out.csv")
	_, stderr, code := cli(t, dir, "export", "--format", "csv", "-o", file)
	if code != 0 {
		t.Fatal(stderr)
	}
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[1], ",eth0,,Unknown,5,6") {
		t.Errorf("export:\n%s", data)
	}
	out, _, code := cli(t, dir, "export", "--format", "json")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
		t.Errorf("json export to stdout: %d %q", code, out)
	}
}

// TestExportInterruptedLeavesNoFile: Ctrl-C during "export -o" ends it with
// neither the file nor a temporary one left behind.
func TestExportInterruptedLeavesNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// More rows than the store reports progress for (every 10,000) and
	// checks for cancellation at (every 1,000).
	start := store.AlignBucket(testenv.Now().AddDate(0, 0, -200).Unix())
	deltas := make([]store.Delta, 12_000)
	for i := range deltas {
		deltas[i] = store.Delta{NIC: "eth0", Start: start + int64(i)*store.BucketSeconds, Sent: 1, Recv: 2}
	}
	seed(t, dir, localZone(), deltas...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, _, _ := testEnv()
	stderr := &interruptOnProgress{cancel: cancel}
	e.stderr = stderr
	// A clock that jumps two seconds a read, so that the progress line
	// shows at the first report; the user then presses Ctrl-C.
	at := testenv.Now()
	e.now = func() time.Time { at = at.Add(2 * time.Second); return at }
	outDir := t.TempDir()
	code := runIn(ctx, e, dir, "export", "-o", filepath.Join(outDir, "usage.csv"))
	if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, stderr)
	}
	left, err := os.ReadDir(outDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range left {
		t.Errorf("left behind: %s", f.Name())
	}
}

// interruptOnProgress is a stderr that cancels (Ctrl-C) when the export's
// progress line shows.
type interruptOnProgress struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *interruptOnProgress) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("exporting")) {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

// TestLivePricingFollowsTheFile: a settings change (dashboard or editor)
// reaches the tray on its next refresh, without a restart.
func TestLivePricingFollowsTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := config.WriteDefault(path); err != nil {
		t.Fatal(err)
	}
	e := &env{cfg: config.Default()}
	pricing := livePricing(e, dashboard.NewFileSettings(path))
	if p := pricing(); p.RateSentPerGB != 7.5 || p.Units != report.UnitsDecimal {
		t.Fatalf("initial pricing %+v", p)
	}
	if _, err := config.Update(path, map[string]config.Value{"cost.rate_sent_per_gb": 12.25, "display.units": "iec"}); err != nil {
		t.Fatal(err)
	}
	if p := pricing(); p.RateSentPerGB != 12.25 || p.Units != report.UnitsIEC {
		t.Errorf("pricing after the file changed: %+v", p)
	}
}
