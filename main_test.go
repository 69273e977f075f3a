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
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// cli runs the command line in-process against a private config and data dir.
func cli(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--config", filepath.Join(dir, "config.toml"), "--data-dir", filepath.Join(dir, "data")}, args...)
	code = run(full, &out, &errb)
	return out.String(), errb.String(), code
}

func TestBadArgumentsExit2WithOneLine(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{
		{"range", "--from", "2026-13-45", "--to", "2026-01-01"},
		{"range", "--from", "2026-02-01", "--to", "2026-01-01"},
		{"range", "--from", "2026-02-01"},
		{"export", "--format", "xml"},
		{"month", "2026-13"},
		{"today", "--tz", "Mars/Olympus"},
		{"today", "--bogus"},
		{"nosuchcommand"},
		{"summary", "--top", "-1"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, stderr, code := cli(t, dir, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace on stderr: %s", stderr)
			}
			if !strings.Contains(stderr, "packetbuddy") {
				t.Errorf("no clear message: %q", stderr)
			}
		})
	}
}

func TestBadConfigExit2WithPosition(t *testing.T) {
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

// seed writes usage straight into the data dir's database.
func seed(t *testing.T, dir string, loc *time.Location, deltas ...store.Delta) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"), store.Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Flush(context.Background(), store.Batch{At: time.Now(), Deltas: deltas}); err != nil {
		t.Fatal(err)
	}
}

func TestUsageCommandsJSON(t *testing.T) {
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
	now := time.Now()
	seed(t, dir, time.Local,
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
	out, _, code = cli(t, dir, "today", "--by-nic", "--no-color")
	if code != 0 || !strings.Contains(out, "wlan0") || !strings.Contains(out, "3.03 kB") {
		t.Errorf("today table:\n%s", out)
	}
	out, _, code = cli(t, dir, "month", "--no-color")
	if code != 0 || !strings.Contains(out, "█") {
		t.Errorf("month table has no bars:\n%s", out)
	}
	_, stderr, code = cli(t, dir, "today", "--nic", "nope0")
	if code != exitUsage || !strings.Contains(stderr, "eth0") {
		t.Errorf("unknown NIC: %d %q", code, stderr)
	}
}

// TestTodayInZones checks the CLI's "today" and "month" under TZ with
// half- and quarter-hour offsets and a daylight-saving zone.
func TestTodayInZones(t *testing.T) {
	for _, zone := range []string{"Asia/Kolkata", "Asia/Kathmandu", "America/New_York"} {
		t.Run(zone, func(t *testing.T) {
			t.Setenv("TZ", zone)
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			now := time.Now().In(loc)
			midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
			seed(t, dir, loc,
				store.Delta{NIC: "eth0", Start: midnight.Unix(), Sent: 1},                          // first bucket of today
				store.Delta{NIC: "eth0", Start: midnight.Add(-15 * time.Minute).Unix(), Sent: 100}, // last bucket of yesterday
			)
			out, stderr, code := cli(t, dir, "today", "--json")
			if code != 0 {
				t.Fatal(stderr)
			}
			var r report.JSON
			json.Unmarshal([]byte(out), &r)
			if r.BytesSent != 1 || r.Period.TimeZone != zone {
				t.Errorf("today in %s: %d bytes (want 1), zone %q", zone, r.BytesSent, r.Period.TimeZone)
			}
			out, _, _ = cli(t, dir, "month", "--json")
			json.Unmarshal([]byte(out), &r)
			want := uint64(1)
			if midnight.Day() != 1 {
				want = 101
			}
			if r.BytesSent != want {
				t.Errorf("month in %s: %d bytes, want %d", zone, r.BytesSent, want)
			}
		})
	}
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, time.Local, store.Delta{NIC: "eth0", Start: time.Now().Unix(), Sent: 5, Recv: 6})
	file := filepath.Join(dir, "out.csv")
	_, stderr, code := cli(t, dir, "export", "--format", "csv", "-o", file)
	if code != 0 {
		t.Fatal(stderr)
	}
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[1], ",eth0,5,6") {
		t.Errorf("export:\n%s", data)
	}
	out, _, code := cli(t, dir, "export", "--format", "json")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
		t.Errorf("json export to stdout: %d %q", code, out)
	}
}

// TestLivePricingFollowsTheFile: a settings change (dashboard or editor)
// reaches the tray on its next refresh, without a restart.
func TestLivePricingFollowsTheFile(t *testing.T) {
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
