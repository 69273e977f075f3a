package dashboard

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// selectDevice picks a device in the page's selector as a user would.
func selectDevice(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	evalJS[chromedp.Void](t, ctx, `(() => { const s = document.getElementById("device-select"); s.value = `+jsString(id)+`; s.dispatchEvent(new Event("change")); })()`)
}

// TestBrowserDevices seeds this device and a synced laptop, and checks the
// Devices view and the device selector against the API: the all-devices
// totals are the exact sum of both devices.
func TestBrowserDevices(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	lapToday, lapMonth := seedLaptop(t, e.st)
	fs := configuredSync(true)
	fs.st.LastSuccess, fs.st.Devices = testenv.Now().Add(-2*time.Minute), 2
	base := serve(t, e.server(Options{Sync: fs, StreamInterval: 250 * time.Millisecond}))
	devs := apiGet[Devices](t, base, "/api/devices")
	if len(devs.Devices) != 2 {
		t.Fatalf("%d devices", len(devs.Devices))
	}
	local, laptop := devs.Devices[0], devs.Devices[1]
	if local.Today.TotalBytes != 7_000_000 || laptop.Today.TotalBytes != lapToday || laptop.Month.TotalBytes != lapMonth {
		t.Fatalf("devices %+v", devs.Devices)
	}
	if devs.All.Today.TotalBytes != local.Today.TotalBytes+laptop.Today.TotalBytes ||
		devs.All.Month.TotalBytes != local.Month.TotalBytes+laptop.Month.TotalBytes {
		t.Fatalf("all devices %d / %d is not the sum", devs.All.Today.TotalBytes, devs.All.Month.TotalBytes)
	}

	ctx := newTab(t)
	if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/#devices")
	waitJS(t, ctx, `document.querySelectorAll("#devices-table tbody tr").length === 2`)
	cells := evalJS[[][]string](t, ctx, `[...document.querySelectorAll("#devices-table tbody tr")].map(tr => [...tr.cells].map(td => td.textContent))`)
	for i, d := range []DeviceView{local, laptop} {
		name := d.Name
		if d.Local {
			name += "this device" // the tag
		}
		if !strings.HasPrefix(cells[i][0], d.Name) || cells[i][3] != d.Today.HumanReadable.Total || cells[i][4] != d.Month.HumanReadable.Total {
			t.Errorf("row %d %q, want %s today %s month %s", i, cells[i], name, d.Today.HumanReadable.Total, d.Month.HumanReadable.Total)
		}
	}
	if cells[1][1] != "darwin/arm64" || cells[1][2] != "5 min ago" {
		t.Errorf("laptop platform/last seen %q %q", cells[1][1], cells[1][2])
	}
	for id, want := range map[string]string{"devices-all-today": devs.All.Today.HumanReadable.Total, "devices-all-month": devs.All.Month.HumanReadable.Total} {
		if got := evalJS[string](t, ctx, `document.getElementById("`+id+`").textContent`); got != want {
			t.Errorf("#%s %q, want %q", id, got, want)
		}
	}
	if !evalJS[bool](t, ctx, `document.getElementById("sync-off-card").hidden`) {
		t.Error("sync-off notice shown while sync is on")
	}
	screenshot(t, ctx, "devices-light-1440.png")

	// The selector: This device, All devices, the laptop.
	if evalJS[bool](t, ctx, `document.getElementById("scope-bar").hidden`) {
		t.Fatal("device selector hidden with two devices")
	}
	if got := evalJS[[]string](t, ctx, `[...document.getElementById("device-select").options].map(o => o.textContent)`); fmt.Sprint(got) != "[This device All devices laptop]" {
		t.Errorf("selector options %q", got)
	}

	// All devices: the overview shows the exact sum.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-overview"))); err != nil {
		t.Fatal(err)
	}
	selectDevice(t, ctx, "all")
	allToday := apiGet[Usage](t, base, "/api/today?device=all")
	allMonth := apiGet[Usage](t, base, "/api/month?device=all")
	if allToday.TotalBytes != 7_000_000+lapToday || allToday.TotalBytes != devs.All.Today.TotalBytes || allMonth.TotalBytes != devs.All.Month.TotalBytes {
		t.Errorf("API all devices today %d month %d, want %d and %d", allToday.TotalBytes, allMonth.TotalBytes, 7_000_000+lapToday, devs.All.Month.TotalBytes)
	}
	waitJS(t, ctx, `document.getElementById("today-total").textContent === `+jsString(allToday.HumanReadable.Total))
	waitJS(t, ctx, `document.getElementById("month-total").textContent === `+jsString(allMonth.HumanReadable.Total))
	if got := evalJS[string](t, ctx, `document.getElementById("today-scope").textContent`); got != "· All devices" {
		t.Errorf("today's scope %q", got)
	}
	// The stream's totals are this device's: they must not overwrite
	// the all-devices figure.
	n := evalJS[int](t, ctx, `window.packetbuddy.sseEvents`)
	waitJS(t, ctx, fmt.Sprintf(`window.packetbuddy.sseEvents >= %d`, n+2))
	if got := evalJS[string](t, ctx, `document.getElementById("today-total").textContent`); got != allToday.HumanReadable.Total {
		t.Errorf("after stream events today shows %q, want %q", got, allToday.HumanReadable.Total)
	}
	if href := evalJS[string](t, ctx, `document.getElementById("export-download").getAttribute("href")`); !strings.Contains(href, "device=all") {
		t.Errorf("export link %q lacks device=all", href)
	}
	screenshot(t, ctx, "overview-all-devices-light-1440.png")

	// A device's name in the list selects it (keyboard: Enter on it).
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.ID("tab-networks")), chromedp.KeyEvent(kb.ArrowRight)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.activeElement.id === "tab-devices" && !document.getElementById("view-devices").hidden`)
	evalJS[chromedp.Void](t, ctx, `document.querySelector("#devices-table tbody tr:nth-child(2) .linkish").focus()`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("view-overview").hidden && document.getElementById("device-select").value === `+jsString(laptop.ID))
	waitJS(t, ctx, `document.getElementById("today-total").textContent === `+jsString(laptop.Today.HumanReadable.Total))
	if got := apiGet[Usage](t, base, "/api/today?device="+laptop.ID); got.TotalBytes != lapToday {
		t.Errorf("laptop today %d", got.TotalBytes)
	}

	// Narrow and dark: the device list fits 360 px.
	if err := chromedp.Do(ctx, look(360, 780, "dark")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-devices"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("view-devices").hidden`)
	if w := evalJS[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("devices view is %d px wide at 360 px", w)
	}
	screenshot(t, ctx, "devices-dark-360.png")

	// The sync switch in Settings.
	if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-settings"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("sync-enabled").checked && !document.getElementById("sync-enabled").disabled`)
	if got := evalJS[string](t, ctx, `document.getElementById("sync-state").textContent`); got != "On" {
		t.Errorf("sync state %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sync-enabled"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("sync-status").textContent === "Sync is off."`)
	if toggles, _ := fs.calls(); fmt.Sprint(toggles) != "[false]" || fs.Status().Enabled {
		t.Errorf("SetEnabled calls %v", toggles)
	}
	waitJS(t, ctx, `!document.getElementById("sync-enabled").checked && document.getElementById("sync-now").disabled`)
	screenshot(t, ctx, "settings-sync-off-light-1440.png")
	// The Devices view now explains how to turn sync back on.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-devices"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("sync-off-card").hidden && document.getElementById("sync-off-title").textContent === "Sync is off"`)
	if got := evalJS[string](t, ctx, `document.getElementById("sync-off-text").textContent`); !strings.Contains(got, "Turn it on in Settings") {
		t.Errorf("notice %q", got)
	}
	screenshot(t, ctx, "devices-sync-off-light-1440.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sync-off-link"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("view-settings").hidden && document.activeElement.id === "sync-enabled"`)
	// Keyboard: Space on the focused switch turns it on again.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("sync-status").textContent === "Sync is on."`)
	if toggles, _ := fs.calls(); fmt.Sprint(toggles) != "[false true]" {
		t.Errorf("SetEnabled calls %v", toggles)
	}
	// Sync now: the fake cycle succeeds.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sync-now"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("sync-status").textContent === "Synced."`)
	if _, runs := fs.calls(); runs != 1 {
		t.Errorf("%d sync cycles", runs)
	}
	screenshot(t, ctx, "settings-sync-light-1440.png")
}

// TestBrowserSyncNotSetUp opens the Devices view without a sync database:
// it explains how to set sync up instead of showing an empty list.
func TestBrowserSyncNotSetUp(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	base := serve(t, e.server(Options{}))
	ctx := newTab(t)
	if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/#devices")
	waitJS(t, ctx, `!document.getElementById("sync-off-card").hidden`)
	if got := evalJS[string](t, ctx, `document.getElementById("sync-off-title").textContent`); got != "Sync is not set up" {
		t.Errorf("title %q", got)
	}
	if got := evalJS[string](t, ctx, `document.getElementById("sync-off-text").textContent`); !strings.Contains(got, "PACKETBUDDY_DATABASE_URL") || !strings.Contains(got, "[sync]") {
		t.Errorf("notice %q does not say how to set sync up", got)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll("#devices-table tbody tr").length`); n != 1 {
		t.Errorf("%d rows, want this device only", n)
	}
	if !evalJS[bool](t, ctx, `document.getElementById("scope-bar").hidden || document.getElementById("device-select").hidden`) {
		t.Error("device selector shown with one device")
	}
	screenshot(t, ctx, "devices-sync-not-set-up-light-1440.png")
	// The notice's link leads to the (disabled) switch in Settings.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sync-off-link"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("view-settings").hidden && document.getElementById("sync-enabled").disabled`)
	if got := evalJS[string](t, ctx, `document.getElementById("sync-state").textContent`); got != "Not set up" {
		t.Errorf("sync state %q", got)
	}
	if h := apiGet[Health](t, base, "/api/health"); h.Sync.State != cloudsync.SummaryOff || h.Sync.Detail != cloudsync.StateNotConfigured {
		t.Errorf("health sync %+v", h.Sync)
	}
}
