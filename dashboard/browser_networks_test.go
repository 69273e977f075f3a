package dashboard

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// selectNetwork picks a network in the page's selector as a user would:
// value is "" for every network, else "=" and the network's key.
func selectNetwork(t *testing.T, ctx context.Context, value string) {
	t.Helper()
	evalJS[chromedp.Void](t, ctx, `(() => { const s = document.getElementById("network-select"); s.value = `+jsString(value)+`; s.dispatchEvent(new Event("change")); })()`)
}

// networkRows reads the Networks view's table, one row of cell texts per
// network.
func networkRows(t *testing.T, ctx context.Context) [][]string {
	t.Helper()
	return evalJS[[][]string](t, ctx, `[...document.querySelectorAll("#networks-table tbody tr")].map(tr => [...tr.cells].map(td => td.textContent))`)
}

// clickRename clicks a network's Rename button. In one script: the table
// may be drawn again between finding the button and a click from outside.
func clickRename(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	evalJS[chromedp.Void](t, ctx, `[...document.querySelectorAll('#networks-table button[data-action="rename"]')].find(b => b.dataset.network === `+jsString(key)+`).click()`)
}

// renameInPage renames a network through its row's Rename button, typing
// the new name as a user would and pressing Enter.
func renameInPage(t *testing.T, ctx context.Context, key, label string) {
	t.Helper()
	clickRename(t, ctx, key)
	waitJS(t, ctx, `document.activeElement.id === "rename-input"`)
	evalJS[chromedp.Void](t, ctx, `document.getElementById("rename-input").value = ""`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("rename-input"), label+kb.Enter)); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserNetworks checks the Networks view against the API, renames a
// network in it (and fails to, with a taken name), and scopes the page to
// one network with the selector, which survives a reload.
func TestBrowserNetworks(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	base := serve(t, e.server(Options{StreamInterval: 250 * time.Millisecond}))
	ctx := newTab(t)
	if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/#networks")
	nets := apiGet[Networks](t, base, "/api/networks").Networks
	month := apiGet[Usage](t, base, "/api/month")
	waitJS(t, ctx, `document.querySelectorAll("#networks-table tbody tr").length === 3`)
	monthOf := func(key string) string {
		for _, m := range month.ByNetwork {
			if m.Key == key {
				return m.HumanReadable.Total
			}
		}
		return "0 B"
	}
	// The office network has traffic today, so this month too.
	waitJS(t, ctx, `document.querySelectorAll("#networks-table tbody tr")[1].cells[3].textContent === `+jsString(monthOf(officeKey)))
	rows := networkRows(t, ctx)
	for i, n := range nets {
		monthTotal := monthOf(n.Key)
		name := rows[i][0]
		if !strings.HasPrefix(name, n.Label) || strings.Contains(name, "connected now") != n.Current ||
			rows[i][3] != monthTotal || rows[i][4] != n.HumanReadable.Sent || rows[i][5] != n.HumanReadable.Received || rows[i][6] != n.HumanReadable.Total {
			t.Errorf("row %d %q, want %s (current %v) month %s, %s/%s/%s", i, rows[i], n.Label, n.Current, monthTotal, n.HumanReadable.Sent, n.HumanReadable.Received, n.HumanReadable.Total)
		}
	}
	if got := fmt.Sprint(rows[0][1], "|", rows[1][1], "|", rows[2][1]); got != "Unknown|Gateway|Wi-Fi" {
		t.Errorf("types %s", got)
	}
	if !strings.Contains(rows[1][0], "router 02:00:5e:00:00:01") {
		t.Errorf("the gateway network's row %q does not name its router", rows[1][0])
	}
	// With one device and three networks, only the network selector shows.
	if evalJS[bool](t, ctx, `document.getElementById("scope-bar").hidden || document.getElementById("network-select").hidden || !document.getElementById("device-select").hidden`) {
		t.Error("want the network selector alone")
	}
	if got := evalJS[[]string](t, ctx, `[...document.getElementById("network-select").options].map(o => o.textContent)`); fmt.Sprint(got) != "[All networks Unknown Network 1 Home]" {
		t.Errorf("selector options %q", got)
	}
	screenshot(t, ctx, "networks-light-1440.png")

	// Rename "Network 1" to "Office": the row, the selector and the
	// overview's current network follow.
	renameInPage(t, ctx, officeKey, "Office")
	waitJS(t, ctx, `document.getElementById("networks-status").textContent === "Renamed to Office."`)
	waitJS(t, ctx, `document.querySelector('#networks-table tr[data-network="`+officeKey+`"] .linkish').textContent === "Office"`)
	if nets := apiGet[Networks](t, base, "/api/networks").Networks; nets[1].Label != "Office" {
		t.Errorf("API after the rename: %+v", nets[1])
	}
	if evalJS[string](t, ctx, `document.activeElement.dataset.network`) != officeKey {
		t.Error("focus did not return to the renamed network")
	}
	waitJS(t, ctx, `[...document.getElementById("network-select").options].some(o => o.textContent === "Office")`)
	waitJS(t, ctx, `document.getElementById("current-network").textContent === "Office"`)

	// A taken name: the store's message in the row, the form stays.
	renameInPage(t, ctx, homeKey, "Office")
	waitJS(t, ctx, `!document.getElementById("rename-error").hidden`)
	if msg := evalJS[string](t, ctx, `document.getElementById("rename-error").textContent`); !strings.Contains(msg, `network label "Office" is taken by another network`) {
		t.Errorf("rename error %q", msg)
	}
	screenshot(t, ctx, "networks-rename-taken-light-1440.png")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("rename-input") === null && document.activeElement.dataset.network === "`+homeKey+`"`)
	if nets := apiGet[Networks](t, base, "/api/networks").Networks; nets[2].Label != homeLabel {
		t.Errorf("a refused rename changed %+v", nets[2])
	}

	// The selector scopes the overview, the export and the history.
	ctx = newTab(t)
	if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/")
	selectNetwork(t, ctx, "="+homeKey)
	home := apiGet[Usage](t, base, "/api/today?network="+url.QueryEscape(homeKey))
	homeMonth := apiGet[Usage](t, base, "/api/month?network=Home")
	if home.TotalBytes != 1_000_000 {
		t.Errorf("API today on Home %d", home.TotalBytes)
	}
	waitJS(t, ctx, `document.getElementById("today-total").textContent === `+jsString(home.HumanReadable.Total))
	waitJS(t, ctx, `document.getElementById("month-total").textContent === `+jsString(homeMonth.HumanReadable.Total))
	if got := evalJS[string](t, ctx, `document.getElementById("today-scope").textContent`); got != "· Home" {
		t.Errorf("today's scope %q", got)
	}
	// The stream's totals are every network's: they must not overwrite.
	n := evalJS[int](t, ctx, `window.packetbuddy.sseEvents`)
	waitJS(t, ctx, fmt.Sprintf(`window.packetbuddy.sseEvents >= %d`, n+2))
	if got := evalJS[string](t, ctx, `document.getElementById("today-total").textContent`); got != home.HumanReadable.Total {
		t.Errorf("after stream events today shows %q, want %q", got, home.HumanReadable.Total)
	}
	if href := evalJS[string](t, ctx, `document.getElementById("export-download").getAttribute("href")`); !strings.Contains(href, "network=wifi%3AHome") {
		t.Errorf("export link %q lacks the network", href)
	}
	screenshot(t, ctx, "overview-network-light-1440.png")

	// Kept across a reload, like the device. (Leave the page first: a
	// new fragment alone would not load it again.)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/#history")
	waitJS(t, ctx, `document.getElementById("network-select").value === "=`+homeKey+`"`)
	waitJS(t, ctx, `document.getElementById("range-total").textContent === `+jsString(homeMonth.HumanReadable.Total))
	if got := evalJS[[]string](t, ctx, `[...document.querySelectorAll("#network-table tbody td:first-child")].map(td => td.textContent)`); fmt.Sprint(got) != "[Home]" {
		t.Errorf("history by network %q", got)
	}
	screenshot(t, ctx, "history-network-light-1440.png")

	// The unknown network has no key: the page names it by its label.
	selectNetwork(t, ctx, "=")
	unknown := apiGet[Usage](t, base, "/api/month?network=Unknown")
	waitJS(t, ctx, `document.getElementById("range-total").textContent === `+jsString(unknown.HumanReadable.Total))
	if href := evalJS[string](t, ctx, `document.getElementById("export-download").getAttribute("href")`); !strings.Contains(href, "network=Unknown") {
		t.Errorf("export link %q", href)
	}

	// A network's name in the list shows its usage (keyboard: Enter).
	ctx = newTab(t)
	if err := chromedp.Do(ctx, look(1440, 900, "light")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/#networks")
	waitJS(t, ctx, `document.querySelectorAll("#networks-table tbody tr.selected").length === 1`)
	evalJS[chromedp.Void](t, ctx, `document.querySelector('#networks-table tr[data-network="`+officeKey+`"] .linkish').focus()`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	office := apiGet[Usage](t, base, "/api/today?network=Office")
	waitJS(t, ctx, `!document.getElementById("view-overview").hidden && document.getElementById("network-select").value === "=`+officeKey+`"`)
	waitJS(t, ctx, `document.getElementById("today-total").textContent === `+jsString(office.HumanReadable.Total))
	selectNetwork(t, ctx, "")
	waitJS(t, ctx, `document.getElementById("today-scope").textContent === ""`)

	// Narrow and dark: the list fits 360 px, a rename form too.
	if err := chromedp.Do(ctx, look(360, 780, "dark")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-networks"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("view-networks").hidden && document.querySelectorAll("#networks-table tbody tr").length === 3`)
	clickRename(t, ctx, homeKey)
	waitJS(t, ctx, `document.activeElement.id === "rename-input"`)
	if w := evalJS[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("networks view is %d px wide at 360 px", w)
	}
	screenshot(t, ctx, "networks-dark-360.png")
}

// TestBrowserCurrentNetwork checks the overview's current network as the
// counted NIC moves to a network first seen just now.
func TestBrowserCurrentNetwork(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	base := serve(t, e.server(Options{StreamInterval: 100 * time.Millisecond}))
	ctx := newTab(t)
	if err := chromedp.Do(ctx, look(1440, 900, "dark")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/")
	waitJS(t, ctx, `document.getElementById("current-network").textContent === `+jsString(officeLabel))
	if got := evalJS[string](t, ctx, `document.getElementById("net-now").textContent`); got != "Connected to "+officeLabel {
		t.Errorf("current network line %q", got)
	}
	e.counters.setNetwork("wifi:Train hotspot")
	e.counters.setTraffic(true)
	defer e.counters.setTraffic(false)
	waitJS(t, ctx, `document.getElementById("current-network").textContent === "Train hotspot"`)
	// The new network reaches the selector before it is even flushed.
	waitJS(t, ctx, `[...document.getElementById("network-select").options].some(o => o.textContent === "Train hotspot")`)
	screenshot(t, ctx, "overview-current-network-dark-1440.png")
}
