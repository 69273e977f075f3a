package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/config"
	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/store"
	"github.com/packetbuddy/packetbuddy/tray"
)

func TestCmdAutostart(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	entry := filepath.Join(dir, "config", "autostart", "packetbuddy.desktop")
	exe, _ := os.Executable()
	steps := []struct {
		args   []string
		code   int
		out    string
		exists bool
	}{
		{[]string{"autostart", "status"}, exitOK, "Start at login: off\n", false},
		{[]string{"autostart", "enable"}, exitOK, "Start at login: on (" + entry + ")\n", true},
		{[]string{"autostart", "status"}, exitOK, "Start at login: on\nEntry:          " + entry + "\nStarts:         " + exe + "\n", true},
		{[]string{"autostart", "disable"}, exitOK, "Start at login: off\n", false},
		{[]string{"autostart"}, exitUsage, "", false},
		{[]string{"autostart", "maybe"}, exitUsage, "", false},
	}
	for _, s := range steps {
		e, out, errb := testEnv()
		if code := run(context.Background(), e, s.args); code != s.code {
			t.Fatalf("%v: exit %d, want %d; %s", s.args, code, s.code, errb.String())
		}
		if !strings.HasPrefix(out.String(), s.out) {
			t.Errorf("%v: printed %q, want it to start with %q", s.args, out.String(), s.out)
		}
		if _, err := os.Stat(entry); (err == nil) != s.exists {
			t.Errorf("%v: entry exists = %v, want %v", s.args, err == nil, s.exists)
		}
	}
}

func TestFirstRunAutostart(t *testing.T) {
	tests := []struct {
		name   string
		on     bool
		before bool // an entry exists before the first run
		want   bool
	}{
		{"turned on", true, false, true},
		{"config says no", false, false, false},
		{"existing entry kept", true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("HOME", filepath.Join(dir, "home"))
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
			entry := filepath.Join(dir, "config", "autostart", "packetbuddy.desktop")
			exe, _ := os.Executable()
			ctx := context.Background()
			st, err := store.Open(ctx, filepath.Join(dir, "data"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			e, _, _ := testEnv()
			e.cfg = config.Default()
			e.log = slog.New(slog.DiscardHandler)
			e.cfg.App.AutostartOnFirstRun = tt.on
			if tt.before {
				first, _, _ := testEnv()
				run(ctx, first, []string{"autostart", "enable"})
			}
			if err := firstRunAutostart(ctx, e, st, exe); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(entry); (err == nil) != tt.want {
				t.Errorf("entry exists = %v, want %v", err == nil, tt.want)
			}
			// Never again: a user who turned it off keeps it off.
			os.Remove(entry)
			if err := firstRunAutostart(ctx, e, st, exe); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(entry); err == nil {
				t.Error("second run turned start at login on again")
			}
		})
	}
}

func TestNewTrayHeadless(t *testing.T) {
	e := &env{cfg: config.Default(), log: slog.New(slog.DiscardHandler)}
	e.headless = true
	if tr, why := newTray(context.Background(), e, trayParts{}); tr != nil || why != "--headless given" {
		t.Errorf("--headless: tray %v, reason %q", tr, why)
	}
	e.headless = false
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if tr, why := newTray(context.Background(), e, trayParts{}); tr != nil || !strings.Contains(why, "DBUS_SESSION_BUS_ADDRESS") {
		t.Errorf("no bus: tray %v, reason %q", tr, why)
	}
}

func TestTraySyncStatus(t *testing.T) {
	t.Parallel()
	success := time.Date(2026, 11, 15, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status cloudsync.Status
		want   tray.SyncState
	}{
		{"switched off", cloudsync.Status{Configured: true}, tray.SyncOff},
		{"on", cloudsync.Status{Configured: true, Enabled: true}, tray.SyncOK},
		{"retrying", cloudsync.Status{Configured: true, Enabled: true, Failures: 1}, tray.SyncFailing},
		{"needs the user", cloudsync.Status{Configured: true, Enabled: true, Permanent: true}, tray.SyncFailing},
		{"off beats failing", cloudsync.Status{Configured: true, Failures: 3}, tray.SyncOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.status.LastSuccess, tt.status.LastError = success, "connect: refused"
			got := traySyncStatus(tt.status)
			if got.State != tt.want || !got.LastSuccess.Equal(success) || got.LastError != "connect: refused" {
				t.Errorf("traySyncStatus = %+v, want state %v", got, tt.want)
			}
		})
	}
}

// fakeSnapshot is a monitor whose NICs are on the given networks.
type fakeSnapshot []monitor.NICRate

func (f fakeSnapshot) Snapshot() monitor.Snapshot { return monitor.Snapshot{NICs: f} }

// fakeLabels is a store whose networks have labels.
type fakeLabels struct {
	labels map[string]string
	err    error
}

func (f *fakeLabels) NetworkLabel(_ context.Context, key string) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	if l, ok := f.labels[key]; ok {
		return l, nil
	}
	return "Network 9", nil // the default label of a new gateway
}

func TestTrayNetworkLabel(t *testing.T) {
	t.Parallel()
	labels := map[string]string{"": "Unknown", goldenHome: "Home", goldenWired: "Office"}
	tests := []struct {
		name string
		nics fakeSnapshot
		want string
	}{
		{"no NIC", nil, ""},
		{"one", fakeSnapshot{{Name: "wlan0", Network: goldenHome}}, "Home"},
		{"unknown", fakeSnapshot{{Name: "wlan0"}}, ""},
		{"unknown beside a known one", fakeSnapshot{{Name: "tun0"}, {Name: "wlan0", Network: goldenHome}}, "Home"},
		{"two networks, NIC order", fakeSnapshot{{Name: "eth0", Network: goldenWired}, {Name: "wlan0", Network: goldenHome}}, "Office, Home"},
		{"same network twice", fakeSnapshot{{Name: "eth0", Network: goldenHome}, {Name: "wlan0", Network: goldenHome}}, "Home"},
		{"not stored yet", fakeSnapshot{{Name: "eth1", Network: "gateway:02:00:00:00:00:01"}}, "Network 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := &networkLabels{monitor: tt.nics, store: &fakeLabels{labels: labels}, now: time.Now}
			if got := l.current(context.Background()); got != tt.want {
				t.Errorf("label %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTrayNetworkLabelReadFails: a label is read again after labelTTL, so
// a rename shows then and not on every refresh, and a failed read shows the
// label read last, else the key.
func TestTrayNetworkLabelReadFails(t *testing.T) {
	t.Parallel()
	st := &fakeLabels{labels: map[string]string{goldenHome: "Home"}}
	nics := fakeSnapshot{{Name: "wlan0", Network: goldenHome}}
	now := time.Date(2026, 11, 15, 14, 30, 0, 0, time.UTC)
	l := &networkLabels{monitor: nics, store: st, now: func() time.Time { return now }}
	ctx := context.Background()
	if got := l.current(ctx); got != "Home" {
		t.Errorf("label %q, want Home", got)
	}
	st.labels[goldenHome] = "Flat"
	if got := l.current(ctx); got != "Home" {
		t.Errorf("right after a rename: label %q, want the one read, Home", got)
	}
	now = now.Add(labelTTL)
	if got := l.current(ctx); got != "Flat" {
		t.Errorf("labelTTL after a rename: label %q, want Flat", got)
	}
	st.err = errors.New("database is locked")
	now = now.Add(labelTTL)
	if got := l.current(ctx); got != "Flat" {
		t.Errorf("read failed: label %q, want the last one, Flat", got)
	}
	nics[0].Network = goldenWired
	if got := l.current(ctx); got != goldenWired {
		t.Errorf("read failed for a network never read: label %q, want its key", got)
	}
}
