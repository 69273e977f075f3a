package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// TestSyncCommandsTwoDevices: two data dirs (two devices) sync through one
// server with `sync now`; then each shows the other and --all-devices is the
// exact sum. A rename travels with the next sync.
func TestSyncCommandsTwoDevices(t *testing.T) {
	dbURL := testenv.NewPostgresDatabase(t, "pbtest_cli_")
	t.Setenv("PACKETBUDDY_DATABASE_URL", dbURL)
	now := testenv.Now()
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("[sync]\nenabled = true\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	seed(t, a, localZone(), store.Delta{NIC: "eth0", Start: now.Unix(), Sent: 1_000, Recv: 2_000})
	seed(t, b, localZone(), store.Delta{NIC: "wlan0", Start: now.Unix(), Sent: 30_000, Recv: 40_000})

	for _, dir := range []string{a, b, a} {
		if _, stderr, code := cli(t, dir, "sync", "now"); code != 0 {
			t.Fatalf("sync now: exit %d: %s", code, stderr)
		}
	}
	out, stderr, code := cli(t, a, "summary", "--json", "--all-devices")
	if code != 0 {
		t.Fatal(stderr)
	}
	var r report.JSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.BytesSent != 31_000 || r.BytesReceived != 42_000 {
		t.Errorf("all devices on A: %d/%d, want 31000/42000", r.BytesSent, r.BytesReceived)
	}
	out, _, _ = cli(t, a, "summary", "--json")
	json.Unmarshal([]byte(out), &r)
	if r.BytesSent != 1_000 {
		t.Errorf("this device on A: %d, want 1000", r.BytesSent)
	}

	out, stderr, code = cli(t, a, "devices", "--json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var devs []store.DeviceUsage
	if err := json.Unmarshal([]byte(out), &devs); err != nil {
		t.Fatalf("devices --json: %v\n%s", err, out)
	}
	if len(devs) != 2 {
		t.Fatalf("A knows %d devices, want 2: %s", len(devs), out)
	}
	var other string
	for _, d := range devs {
		if !d.Local {
			other = d.UUID
		}
	}
	if _, stderr, code := cli(t, b, "devices", "rename", "this", "Living-room PC"); code != 0 {
		t.Fatal(stderr)
	}
	for _, dir := range []string{b, a} {
		if _, stderr, code := cli(t, dir, "sync", "now"); code != 0 {
			t.Fatalf("sync now: %s", stderr)
		}
	}
	out, _, _ = cli(t, a, "summary", "--json", "--device", "Living-room PC")
	json.Unmarshal([]byte(out), &r)
	if r.BytesSent != 30_000 {
		t.Errorf("--device by the synced name: %d, want 30000", r.BytesSent)
	}
	out, _, _ = cli(t, a, "summary", "--json", "--device", other)
	json.Unmarshal([]byte(out), &r)
	if r.BytesSent != 30_000 {
		t.Errorf("--device by id: %d, want 30000", r.BytesSent)
	}

	out, stderr, code = cli(t, a, "sync", "status")
	if code != 0 || strings.Contains(out, "postgres@") || strings.Contains(stderr, "postgres@") {
		t.Errorf("sync status: %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code := cli(t, a, "summary", "--device", "nope"); code != exitUsage {
		t.Errorf("unknown device: exit %d: %s", code, stderr)
	}
}

// TestSyncNowFailsClearly: an unreachable server makes `sync now` exit
// non-zero with one line, and the password never shows.
func TestSyncNowFailsClearly(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PACKETBUDDY_DATABASE_URL", "postgres://pb:s3cret-pw@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("[sync]\nenabled = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	seed(t, dir, localZone(), store.Delta{NIC: "eth0", Start: testenv.Now().Unix(), Sent: 1})
	out, stderr, code := cli(t, dir, "sync", "now")
	if code == 0 {
		t.Fatalf("sync now against a closed port succeeded:\n%s", out)
	}
	if strings.Contains(out+stderr, "s3cret-pw") {
		t.Errorf("password shown:\n%s%s", out, stderr)
	}
}
