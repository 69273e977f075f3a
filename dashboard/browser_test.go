package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/packetbuddy/packetbuddy/store"
)

// The browser tests share one headless Chromium (Debian's "chromium"),
// started on first use and stopped by TestMain.
var shared struct {
	once    sync.Once
	ctx     context.Context // a chromedp context owning the browser
	cancel  func()
	dataDir string
	err     error
}

func chromiumPath() string {
	if p := os.Getenv("PACKETBUDDY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newTab returns a chromedp context for a fresh tab of the shared browser.
func newTab(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		requireComponent(t, "chromium", "no chromium in PATH (apt-get install chromium)")
	}
	shared.once.Do(func() {
		shared.dataDir, shared.err = os.MkdirTemp("", "packetbuddy-chromium-")
		if shared.err != nil {
			return
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.UserDataDir(shared.dataDir),
			chromedp.WindowSize(1440, 900),
			chromedp.Env("TZ=UTC", "LANG=en_US.UTF-8"),
		)
		ctx, cancel := chromedp.NewContext(allocCtx)
		shared.ctx = ctx
		shared.cancel = func() { cancel(); cancelAlloc() }
		// Start the browser now, without a deadline (a deadline on the
		// first run would stop the whole browser).
		shared.err = chromedp.Do(ctx)
	})
	if shared.err != nil {
		requireComponent(t, "chromium", "cannot start "+path+": "+shared.err.Error())
	}
	tab, cancel := chromedp.NewContext(shared.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	// Bound each tab; Run with a derived deadline only limits the actions.
	tctx, tcancel := context.WithTimeout(tab, 30*time.Second)
	t.Cleanup(tcancel)
	return tctx
}

// look sets the viewport and colour scheme of a tab.
func look(width, height int64, scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(width, height)); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// screenshot saves a full-page PNG under the test output folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// Let the charts finish their short animations.
	chromedp.Do(ctx, chromedp.Sleep(400*time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(testOutputDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", expr, err)
	}
}

// apiGet fetches a JSON API path from the running server.
func apiGet[T any](t *testing.T, base, path string) T {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// openPage loads the dashboard and waits until its first data arrived.
func openPage(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.dataset.ready === "true"`)
	if msg := evalJS[string](t, ctx, `document.getElementById("error-banner").hidden ? "" : document.getElementById("error-banner").textContent`); msg != "" {
		t.Fatalf("page shows an error: %s", msg)
	}
}

func TestBrowser(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	s := e.server(Options{StreamInterval: 250 * time.Millisecond})
	base := serve(t, s)

	t.Run("page shows the API's totals", func(t *testing.T) {
		ctx := newTab(t)
		if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
			t.Fatal(err)
		}
		openPage(t, ctx, base+"/")
		today := apiGet[Usage](t, base, "/api/today")
		month := apiGet[Usage](t, base, "/api/month")
		waitJS(t, ctx, `document.getElementById("today-total").textContent !== "–"`)
		for id, want := range map[string]string{
			"today-total": today.HumanReadable.Total, "today-sent": today.HumanReadable.Sent,
			"today-received": today.HumanReadable.Received, "today-cost": today.Cost.Total.Formatted,
			"month-total": month.HumanReadable.Total, "month-cost": month.Cost.Total.Formatted,
		} {
			if got := evalJS[string](t, ctx, `document.getElementById("`+id+`").textContent`); got != want {
				t.Errorf("#%s shows %q, API says %q", id, got, want)
			}
		}
		if today.HumanReadable.Total != "7.00 MB" {
			t.Errorf("today %q, want the seeded 7.00 MB", today.HumanReadable.Total)
		}
		if n := evalJS[string](t, ctx, `document.getElementById("hourly-chart").dataset.points`); n != "24" {
			t.Errorf("hourly chart has %s bars, want 24", n)
		}
		screenshot(t, ctx, "overview-light-1440.png")
		if err := chromedp.Do(ctx, look(360, 780, "dark")); err != nil {
			t.Fatal(err)
		}
		// Readable at 360 px: nothing wider than the viewport.
		if w := evalJS[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
			t.Errorf("page is %d px wide at a 360 px viewport", w)
		}
		if bg := evalJS[string](t, ctx, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(15, 20, 28)" {
			t.Errorf("dark scheme background %s", bg)
		}
		screenshot(t, ctx, "overview-dark-360.png")
		if err := chromedp.Do(ctx, look(3840, 2160, "dark")); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "overview-dark-3840.png")
	})

	t.Run("live chart receives SSE points", func(t *testing.T) {
		e.counters.setTraffic(true)
		defer e.counters.setTraffic(false)
		ctx := newTab(t)
		if err := chromedp.Do(ctx, look(1440, 900, "dark")); err != nil {
			t.Fatal(err)
		}
		openPage(t, ctx, base+"/")
		start := evalJS[int](t, ctx, `window.packetbuddy.sseEvents`)
		waitJS(t, ctx, fmt.Sprintf(`window.packetbuddy.sseEvents >= %d`, start+3))
		waitJS(t, ctx, `Number(document.getElementById("live-chart").dataset.points) >= 3`)
		up := evalJS[string](t, ctx, `document.getElementById("speed-up").textContent`)
		if !strings.HasSuffix(up, "/s") || up == "0 B/s" {
			t.Errorf("upload speed shows %q", up)
		}
		// Today's total moves with the stream, ahead of the 30 s flush.
		waitJS(t, ctx, `document.getElementById("today-total").textContent !== "7.00 MB"`)
		screenshot(t, ctx, "overview-live-dark-1440.png")
		// Traffic stops: the live total (flushed + not yet flushed) is
		// exactly what the counters moved, on the page as in the API.
		e.counters.setTraffic(false)
		time.Sleep(300 * time.Millisecond)
		e.counters.mu.Lock()
		counted := 7_000_000 + e.counters.sent + e.counters.recv
		e.counters.mu.Unlock()
		today := apiGet[Usage](t, base, "/api/today")
		if today.TotalBytes != counted || today.UnflushedBytes == 0 {
			t.Errorf("API today %d (unflushed %d), counters say %d", today.TotalBytes, today.UnflushedBytes, counted)
		}
		waitJS(t, ctx, `document.getElementById("today-total").textContent === `+jsString(today.HumanReadable.Total))
	})

	t.Run("range picker changes the chart", func(t *testing.T) {
		ctx := newTab(t)
		if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
			t.Fatal(err)
		}
		openPage(t, ctx, base+"/#history")
		waitJS(t, ctx, `Number(document.getElementById("history-chart").dataset.points) >= 28`)
		today := testToday()
		from := today.AddDays(-10)
		evalJS[chromedp.Void](t, ctx, `document.getElementById("range-start").value = "`+from.String()+`"; document.getElementById("range-end").value = "`+today.String()+`"; undefined`)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("range-apply"))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.getElementById("history-chart").dataset.points === "11"`)
		want := apiGet[Usage](t, base, "/api/range?start="+from.String()+"&end="+today.String())
		waitJS(t, ctx, `document.getElementById("range-total").textContent === `+jsString(want.HumanReadable.Total))
		if got := evalJS[string](t, ctx, `document.getElementById("history-title").textContent`); got != from.String()+" to "+today.String() {
			t.Errorf("title %q", got)
		}
		rows := evalJS[int](t, ctx, `document.querySelectorAll("#nic-table tbody tr").length`)
		if rows != len(want.ByNIC) {
			t.Errorf("%d NIC rows, want %d", rows, len(want.ByNIC))
		}
		top := evalJS[string](t, ctx, `document.querySelector("#top-table tbody tr td").textContent`)
		if top != today.AddDays(-40).String() {
			t.Errorf("top day %q", top)
		}
		screenshot(t, ctx, "history-range-light-1440.png")
	})

	t.Run("export downloads the rows", func(t *testing.T) {
		ctx := newTab(t)
		dir := t.TempDir()
		if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		}); err != nil {
			t.Fatal(err)
		}
		openPage(t, ctx, base+"/#export")
		today := testToday()
		from := today.AddDays(-5)
		evalJS[chromedp.Void](t, ctx, `for (const [id, v] of [["export-start", "`+from.String()+`"], ["export-end", "`+today.String()+`"], ["export-format", "csv"]]) {
			const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event("change")); }; undefined`)
		screenshot(t, ctx, "export-light-1440.png")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("export-download"))); err != nil {
			t.Fatal(err)
		}
		name := "packetbuddy-" + from.String() + "-to-" + today.String() + ".csv"
		path := filepath.Join(dir, name)
		var got []byte
		deadline := time.Now().Add(10 * time.Second)
		for {
			if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
				got = b
				break
			}
			if time.Now().After(deadline) {
				entries, _ := os.ReadDir(dir)
				t.Fatalf("no %s downloaded; directory has %v", name, entries)
			}
			time.Sleep(50 * time.Millisecond)
		}
		resp, err := http.Get(base + "/api/export?format=csv&start=" + from.String() + "&end=" + today.String())
		if err != nil {
			t.Fatal(err)
		}
		want, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != string(want) {
			t.Errorf("downloaded file differs from the API export:\n%s\nwant\n%s", got, want)
		}
		lines := strings.Split(strings.TrimSpace(string(got)), "\n")
		if lines[0] != strings.Join(exportColumns(), ",") || len(lines)-1 < 7 {
			t.Errorf("download has %d rows, header %q", len(lines)-1, lines[0])
		}
	})

	t.Run("pause greys the live chart", func(t *testing.T) {
		ctx := newTab(t)
		if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
			t.Fatal(err)
		}
		openPage(t, ctx, base+"/")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pause-btn"))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.getElementById("live-card").classList.contains("paused")`)
		waitJS(t, ctx, `Number(getComputedStyle(document.getElementById("live-chart")).opacity) < 0.5`)
		if !e.mon.Paused() {
			t.Error("monitor not paused")
		}
		if h := apiGet[Health](t, base, "/api/health"); !h.Paused {
			t.Error("health does not say paused")
		}
		if got := evalJS[string](t, ctx, `document.getElementById("status-pill").textContent`); got != "Paused" {
			t.Errorf("status pill %q", got)
		}
		// Paused, everything counted is flushed: the page, the API and
		// the fake kernel counters agree to the byte.
		e.counters.mu.Lock()
		counted := 7_000_000 + e.counters.sent + e.counters.recv
		e.counters.mu.Unlock()
		today := apiGet[Usage](t, base, "/api/today")
		if today.TotalBytes != counted || today.UnflushedBytes != 0 {
			t.Errorf("API today %d (unflushed %d), counters say %d", today.TotalBytes, today.UnflushedBytes, counted)
		}
		waitJS(t, ctx, `document.getElementById("today-total").textContent === `+jsString(today.HumanReadable.Total))
		screenshot(t, ctx, "overview-paused-light-1440.png")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pause-btn"))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `!document.getElementById("live-card").classList.contains("paused")`)
		if e.mon.Paused() {
			t.Error("monitor still paused after resume")
		}
	})
}

// TestBrowserSettingsPersist changes a setting in the page, restarts the
// server on the same configuration file, and finds the change again.
func TestBrowserSettingsPersist(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := newTab(t)
	first := e.server(Options{})
	ln := mustListen(t)
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()

	if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/#settings")
	if got := evalJS[string](t, ctx, `document.getElementById("set-rate-sent").value`); got != "7.5" {
		t.Errorf("rate field %q, want the default 7.5", got)
	}
	evalJS[chromedp.Void](t, ctx, `document.getElementById("set-rate-sent").value = "9.25"; document.getElementById("set-currency").value = "€"; document.getElementById("set-code").value = "EUR"; document.getElementById("set-units").value = "iec"; undefined`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("settings-save"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("settings-status").textContent === "Saved."`)
	screenshot(t, ctx, "settings-saved-light-1440.png")
	data, err := os.ReadFile(e.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rate_sent_per_gb = 9.25", `currency = "€"`, `units = "iec"`, "# Cost = bytes / 10^9 x rate, per direction."} {
		if !strings.Contains(string(data), want) {
			t.Errorf("config file lacks %q", want)
		}
	}

	// Restart: a new server (new port, new settings reader) on the same files.
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	second := e.server(Options{Settings: NewFileSettings(e.cfgPath)})
	base2 := serve(t, second)
	if err := chromedp.Do(ctx, look(360, 780, "dark")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base2+"/#settings")
	for id, want := range map[string]string{"set-rate-sent": "9.25", "set-currency": "€", "set-code": "EUR", "set-units": "iec"} {
		if got := evalJS[string](t, ctx, `document.getElementById("`+id+`").value`); got != want {
			t.Errorf("after restart #%s = %q, want %q", id, got, want)
		}
	}
	if got := evalJS[string](t, ctx, `document.getElementById("today-total").textContent`); !strings.HasSuffix(got, "MiB") {
		t.Errorf("today shows %q, want IEC units", got)
	}
	screenshot(t, ctx, "settings-after-restart-dark-360.png")
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestBrowserEmptyState opens the dashboard of a fresh install: the charts
// say since when PacketBuddy has been counting instead of staying blank.
func TestBrowserEmptyState(t *testing.T) {
	t.Parallel()
	e := newTestEnvSeeded(t, false)
	base := serve(t, e.server(Options{}))
	ctx := newTab(t)
	if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/")
	since := e.mon.Snapshot().Started.UTC().Format("15:04")
	want := "No data yet — counting since " + since
	waitJS(t, ctx, `!document.getElementById("hourly-empty").hidden`)
	if got := evalJS[string](t, ctx, `document.getElementById("hourly-empty").textContent`); got != want {
		t.Errorf("empty state %q, want %q", got, want)
	}
	if got := evalJS[string](t, ctx, `document.getElementById("today-total").textContent`); got != "0 B" {
		t.Errorf("today shows %q, want 0 B", got)
	}
	// Keyboard: the tabs move with the arrow keys.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.ID("tab-overview")), chromedp.KeyEvent(kb.ArrowRight)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.activeElement.id === "tab-history" && !document.getElementById("view-history").hidden`)
	waitJS(t, ctx, `!document.getElementById("history-empty").hidden`)
	screenshot(t, ctx, "history-empty-light-1440.png")
}

// TestBrowserEscapesNames records traffic on a NIC whose name is markup and
// checks that the page shows it as text.
func TestBrowserEscapesNames(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	hostile := `<img src=x id=pwned onerror="document.body.dataset.pwned=1">`
	// The history view opens on the server's current month: the first of
	// it is in that month and never in the future.
	today := testToday()
	day := store.Date{Year: today.Year, Month: today.Month, Day: 1}.Start(time.UTC)
	if err := e.st.Flush(context.Background(), storeBatch(hostile, day, 1234, 5678)); err != nil {
		t.Fatal(err)
	}
	base := serve(t, e.server(Options{}))
	ctx := newTab(t)
	openPage(t, ctx, base+"/#history")
	waitJS(t, ctx, `[...document.querySelectorAll("#nic-table td")].some(td => td.textContent === `+jsString(hostile)+`)`)
	waitJS(t, ctx, `[...document.querySelectorAll("#hist-nic option")].some(o => o.textContent === `+jsString(hostile)+`)`)
	if got := evalJS[bool](t, ctx, `document.getElementById("pwned") !== null || document.body.dataset.pwned === "1"`); got {
		t.Fatal("a NIC name was interpreted as HTML")
	}

	// A synced device's name is user-controlled too: the device list, the
	// selector and the overview's scope show it as text.
	seedHostile(t, e.st)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-devices"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `[...document.querySelectorAll("#devices-table .linkish")].some(b => b.textContent === `+jsString(testHostile.Name)+`)`)
	waitJS(t, ctx, `[...document.querySelectorAll("#device-select option")].some(o => o.textContent === `+jsString(testHostile.Name)+`)`)
	selectDevice(t, ctx, testHostile.UUID)
	waitJS(t, ctx, `document.getElementById("today-scope").textContent === `+jsString("· "+testHostile.Name))
	waitJS(t, ctx, `document.getElementById("today-total").textContent === "579 B"`)
	if got := evalJS[bool](t, ctx, `document.getElementById("pwned-dev") !== null || document.body.dataset.pwned === "1"`); got {
		t.Fatal("a device name was interpreted as HTML")
	}
}

// TestBrowserEscapesNetworkNames: an SSID is whatever an access point
// broadcasts, and a label whatever was typed; the Networks view, the
// selector, the history, the overview's current network and its scope
// show them as text.
func TestBrowserEscapesNetworkNames(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	hostileSSID := `<img src=x id=pwned-net onerror="document.body.dataset.pwned=1">`
	hostileLabel := `<svg id=pwned-label onload="document.body.dataset.pwned=1">`
	today := testToday()
	day := store.Date{Year: today.Year, Month: today.Month, Day: 1}.Start(time.UTC)
	if err := e.st.Flush(context.Background(), networkBatch("eth0", "wifi:"+hostileSSID, day, 1234, 5678)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.RenameNetwork(context.Background(), homeKey, hostileLabel); err != nil {
		t.Fatal(err)
	}
	// The counted NIC is on the hostile network now.
	e.counters.setNetwork("wifi:" + hostileSSID)
	base := serve(t, e.server(Options{StreamInterval: 100 * time.Millisecond}))
	ctx := newTab(t)
	openPage(t, ctx, base+"/#history")
	for _, name := range []string{hostileSSID, hostileLabel} {
		waitJS(t, ctx, `[...document.querySelectorAll("#network-table td")].some(td => td.textContent === `+jsString(name)+`)`)
		waitJS(t, ctx, `[...document.querySelectorAll("#network-select option")].some(o => o.textContent === `+jsString(name)+`)`)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-networks"))); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{hostileSSID, hostileLabel} {
		waitJS(t, ctx, `[...document.querySelectorAll("#networks-table .linkish")].some(b => b.textContent === `+jsString(name)+`)`)
	}
	// Renamed in the page to more markup: still text.
	renameInPage(t, ctx, "wifi:"+hostileSSID, `<i id=pwned-typed>typed</i>`)
	waitJS(t, ctx, `[...document.querySelectorAll("#networks-table .linkish")].some(b => b.textContent === "<i id=pwned-typed>typed</i>")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-overview"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("current-network").textContent === "<i id=pwned-typed>typed</i>"`)
	selectNetwork(t, ctx, "="+homeKey)
	waitJS(t, ctx, `document.getElementById("today-scope").textContent === `+jsString("· "+hostileLabel))
	if got := evalJS[bool](t, ctx, `["pwned-net", "pwned-label", "pwned-typed"].some(id => document.getElementById(id) !== null) || document.body.dataset.pwned === "1"`); got {
		t.Fatal("a network name was interpreted as HTML")
	}
}
