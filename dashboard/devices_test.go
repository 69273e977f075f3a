package dashboard

import (
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

// Other devices of the tests, as sync would pull them.
var (
	testLaptop  = store.Device{UUID: "3b0c6a52-6f7e-4c1b-9a53-7f1d2c9e0a11", Name: "laptop", Hostname: "mbp.local", Platform: "darwin/arm64", AppVersion: "1.2.0"}
	testHostile = store.Device{UUID: "9d9c3c0e-2a43-4f0e-8f5e-2b8f6a1c7d22", Name: `<img src=x id=pwned-dev onerror="document.body.dataset.pwned=1">`, Hostname: "evil", Platform: "windows/amd64"}
)

// seedLaptop pulls the laptop into the store with traffic today and
// yesterday; it returns the laptop's today and this-month totals.
func seedLaptop(t testing.TB, st *store.Store) (today, month uint64) {
	t.Helper()
	now := testenv.Now().UTC()
	d := testToday().Start(time.UTC)
	laptop := testLaptop
	laptop.FirstSeen, laptop.LastSeen = now.Add(-48*time.Hour), now.Add(-5*time.Minute)
	yesterday := d.Add(-12 * time.Hour)
	pullDevice(t, st, laptop,
		store.SyncBucket{NIC: "en0", Start: d.Add(time.Hour).Unix(), Sent: 1_500_000, Recv: 2_500_000},
		store.SyncBucket{NIC: "en0", Start: yesterday.Unix(), Sent: 11_000_000, Recv: 22_000_000})
	today, month = 4_000_000, 4_000_000
	if yesterday.Month() == d.Month() {
		month += 33_000_000
	}
	return today, month
}

// seedHostile pulls a device whose name is markup, with 579 bytes today.
func seedHostile(t testing.TB, st *store.Store) {
	t.Helper()
	now := testenv.Now().UTC()
	hostile := testHostile
	hostile.FirstSeen, hostile.LastSeen = now.Add(-24*time.Hour), now.Add(-time.Hour)
	pullDevice(t, st, hostile, store.SyncBucket{NIC: "Ethernet", Start: testToday().Start(time.UTC).Add(30 * time.Minute).Unix(), Sent: 123, Recv: 456})
}

// seedOtherDevices pulls the laptop and the hostile name; it returns the
// laptop's today and this-month totals.
func seedOtherDevices(t testing.TB, st *store.Store) (today, month uint64) {
	t.Helper()
	today, month = seedLaptop(t, st)
	seedHostile(t, st)
	return today, month
}

func TestDevices(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	lapToday, lapMonth := seedOtherDevices(t, e.st)

	w := do(t, h, req{path: "/api/devices"})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := decode[Devices](t, w)
	if len(got.Devices) != 3 {
		t.Fatalf("%d devices, want 3: %+v", len(got.Devices), got.Devices)
	}
	d := testToday().Start(time.UTC)
	localMonthSent, localMonthRecv := sumSeed(time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC), d.AddDate(0, 0, 1), "")
	want := []struct {
		id           string
		local        bool
		today, month uint64
		platform     string
	}{
		{e.st.DeviceID(), true, 7_000_000, localMonthSent + localMonthRecv, ""},
		{testHostile.UUID, false, 579, 579, "windows/amd64"},
		{testLaptop.UUID, false, lapToday, lapMonth, "darwin/arm64"},
	}
	var sumToday, sumMonth uint64
	for i, wd := range want {
		g := got.Devices[i]
		if g.ID != wd.id || g.Local != wd.local || g.Today.TotalBytes != wd.today || g.Month.TotalBytes != wd.month {
			t.Errorf("device %d: %s local=%v today %d month %d, want %s local=%v today %d month %d",
				i, g.ID, g.Local, g.Today.TotalBytes, g.Month.TotalBytes, wd.id, wd.local, wd.today, wd.month)
		}
		if wd.platform != "" && g.Platform != wd.platform {
			t.Errorf("device %d platform %q", i, g.Platform)
		}
		if g.Today.HumanReadable.Total == "" || g.Month.Cost.Total.Formatted == "" {
			t.Errorf("device %d lacks the usage shape: %+v", i, g.Today)
		}
		sumToday += g.Today.TotalBytes
		sumMonth += g.Month.TotalBytes
	}
	if got.Devices[2].Name != "laptop" || got.Devices[2].LastSeen.IsZero() || got.Devices[1].Name != testHostile.Name {
		t.Errorf("names or last seen: %+v", got.Devices)
	}
	if got.All.Today.TotalBytes != sumToday || got.All.Month.TotalBytes != sumMonth {
		t.Errorf("all devices %d / %d, sums %d / %d", got.All.Today.TotalBytes, got.All.Month.TotalBytes, sumToday, sumMonth)
	}
	if got.Today != testToday().String() || got.TimeZone != "UTC" || got.Sync.State != cloudsync.SummaryOff {
		t.Errorf("header %q %q %+v", got.Today, got.TimeZone, got.Sync)
	}

	// The usage endpoints agree with the list for each scope.
	for _, tc := range []struct {
		device       string
		today, month uint64
	}{
		{"", 7_000_000, localMonthSent + localMonthRecv},
		{"all", sumToday, sumMonth},
		{testLaptop.UUID, lapToday, lapMonth},
		{"laptop", lapToday, lapMonth},
		{testHostile.UUID, 579, 579},
	} {
		q := "?device=" + url.QueryEscape(tc.device)
		if got := decode[Usage](t, do(t, h, req{path: "/api/today" + q})).TotalBytes; got != tc.today {
			t.Errorf("today%s = %d, want %d", q, got, tc.today)
		}
		if got := decode[Usage](t, do(t, h, req{path: "/api/month" + q})).TotalBytes; got != tc.month {
			t.Errorf("month%s = %d, want %d", q, got, tc.month)
		}
	}

	if w := do(t, h, req{path: "/api/devices?device=all"}); w.Code != 400 || !strings.Contains(w.Body.String(), "device") {
		t.Errorf("unknown parameter: %d %s", w.Code, w.Body)
	}
	if w := do(t, h, req{method: "POST", path: "/api/devices", body: "{}", hdr: unsafeHeaders(e.token)}); w.Code != 405 {
		t.Errorf("POST /api/devices: %d", w.Code)
	}
}

// TestDevicesIncludesUnflushed: this device's row is live like /api/today.
// It runs on synctest's clock.
func TestDevicesIncludesUnflushed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		h := e.server(Options{}).Handler()
		e.counters.setTraffic(true)
		time.Sleep(350 * time.Millisecond)
		e.counters.setTraffic(false)
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		e.counters.mu.Lock()
		counted := 7_000_000 + e.counters.sent + e.counters.recv
		e.counters.mu.Unlock()
		got := decode[Devices](t, do(t, h, req{path: "/api/devices"}))
		today := decode[Usage](t, do(t, h, req{path: "/api/today"}))
		if got.Devices[0].Today.TotalBytes != counted || today.TotalBytes != counted || today.UnflushedBytes == 0 {
			t.Errorf("devices says %d, today %d (unflushed %d), counters %d", got.Devices[0].Today.TotalBytes, today.TotalBytes, today.UnflushedBytes, counted)
		}
	})
}
