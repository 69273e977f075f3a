package dashboard

import (
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// seedTotal is the seeded lifetime usage over one network.
func seedTotal(network string) (sent, recv uint64) {
	return sumSeedNetwork(time.Time{}, testToday().Start(time.UTC).AddDate(1, 0, 0), network)
}

func TestNetworksList(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()

	w := do(t, h, req{path: "/api/networks"})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := decode[Networks](t, w).Networks
	want := []struct {
		key, label, kind string
		current          bool
	}{
		{"", store.UnknownLabel, store.NetworkUnknown, false},
		{officeKey, officeLabel, store.NetworkGateway, true},
		{homeKey, homeLabel, store.NetworkWiFi, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d networks, want %d: %+v", len(got), len(want), got)
	}
	for i, wn := range want {
		g := got[i]
		sent, recv := seedTotal(wn.key)
		if g.Key != wn.key || g.Label != wn.label || g.Kind != wn.kind || g.Current != wn.current {
			t.Errorf("network %d: %q %q %q current=%v, want %q %q %q current=%v", i, g.Key, g.Label, g.Kind, g.Current, wn.key, wn.label, wn.kind, wn.current)
		}
		if g.BytesSent != sent || g.BytesReceived != recv || g.TotalBytes != sent+recv || g.HumanReadable.Total == "" {
			t.Errorf("network %q: %d/%d/%d, want %d/%d", wn.key, g.BytesSent, g.BytesReceived, g.TotalBytes, sent, recv)
		}
		if g.FirstSeen.IsZero() || g.LastSeen.Before(g.FirstSeen) {
			t.Errorf("network %q seen %v to %v", wn.key, g.FirstSeen, g.LastSeen)
		}
	}
	// The JSON names the contract's fields.
	var raw struct {
		Networks []map[string]any `json:"networks"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"key", "label", "kind", "first_seen", "last_seen", "bytes_sent", "bytes_received", "total_bytes", "current", "human_readable", "cost"} {
		if _, ok := raw.Networks[1][f]; !ok {
			t.Errorf("field %s missing from %v", f, raw.Networks[1])
		}
	}

	// nic= narrows the totals (and the list to the networks it used).
	wlan := decode[Networks](t, do(t, h, req{path: "/api/networks?nic=wlan0"})).Networks
	if len(wlan) != 1 || wlan[0].Key != homeKey || wlan[0].TotalBytes != 1_000_000 {
		t.Errorf("nic=wlan0: %+v", wlan)
	}
	all := decode[Networks](t, do(t, h, req{path: "/api/networks?device=all"})).Networks
	if len(all) != 3 {
		t.Errorf("device=all: %d networks", len(all))
	}

	for path, mention := range map[string]string{
		"/api/networks?network=Home":    "network: unknown parameter",
		"/api/networks?nic=nope0":       `nic: unknown NIC "nope0"`,
		"/api/networks?device=nope":     `device: unknown device "nope"`,
		"/api/networks?nic=eth0;x":      "malformed query string",
		"/api/networks?nic=a&nic=b":     "given more than once",
		"/api/networks?tz=Asia/Kolkata": "tz: unknown parameter",
	} {
		w := do(t, h, req{path: path})
		if body := decode[apiError](t, w); w.Code != 400 || !strings.Contains(body.Error, mention) {
			t.Errorf("%s: %d %q, want 400 mentioning %q", path, w.Code, body.Error, mention)
		}
	}
}

// TestNetworkScope checks network= on the usage endpoints and the export:
// by key, by label, by a label in another case, and with nic=.
func TestNetworkScope(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	today := testToday()
	day0 := today.Start(time.UTC)
	monthStart := time.Date(today.Year, today.Month, 1, 0, 0, 0, 0, time.UTC)
	from := today.AddDays(-10)
	rangeQ := "start=" + from.String() + "&end=" + today.String()
	unkMonthSent, unkMonthRecv := sumSeedNetwork(monthStart, day0.AddDate(0, 0, 1), "")
	unkRangeSent, unkRangeRecv := sumSeedNetwork(from.Start(time.UTC), day0.AddDate(0, 0, 1), "")
	unkSent, unkRecv := seedTotal("")

	tests := []struct {
		path       string
		sent, recv uint64
		key, label string // the one by_network entry; none when sent+recv is 0
	}{
		{"/api/today?network=" + url.QueryEscape(homeKey), 250_000, 750_000, homeKey, homeLabel},
		{"/api/today?network=Home", 250_000, 750_000, homeKey, homeLabel},
		{"/api/today?network=HOME", 250_000, 750_000, homeKey, homeLabel},
		{"/api/today?network=" + url.QueryEscape(officeLabel), 1_000_000, 5_000_000, officeKey, officeLabel},
		{"/api/today?network=" + url.QueryEscape(officeKey) + "&nic=eth0", 1_000_000, 5_000_000, officeKey, officeLabel},
		{"/api/today?network=Home&nic=eth0", 0, 0, "", ""},
		{"/api/today?network=Unknown", 0, 0, "", ""},
		{"/api/today?network=Home&device=all", 250_000, 750_000, homeKey, homeLabel},
		{"/api/month?network=Unknown", unkMonthSent, unkMonthRecv, "", store.UnknownLabel},
		{"/api/range?network=Unknown&" + rangeQ, unkRangeSent, unkRangeRecv, "", store.UnknownLabel},
		{"/api/summary?network=Unknown", unkSent, unkRecv, "", store.UnknownLabel},
		{"/api/summary?network=Home", 250_000, 750_000, homeKey, homeLabel},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			w := do(t, h, req{path: tc.path})
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			u := decode[Usage](t, w)
			if u.BytesSent != tc.sent || u.BytesReceived != tc.recv {
				t.Errorf("sent/received %d/%d, want %d/%d", u.BytesSent, u.BytesReceived, tc.sent, tc.recv)
			}
			if tc.sent+tc.recv == 0 {
				if len(u.ByNetwork) != 0 {
					t.Errorf("by_network %+v, want none", u.ByNetwork)
				}
				return
			}
			if len(u.ByNetwork) != 1 || u.ByNetwork[0].Key != tc.key || u.ByNetwork[0].Label != tc.label || u.ByNetwork[0].TotalBytes != u.TotalBytes {
				t.Errorf("by_network %+v, want only %q %q", u.ByNetwork, tc.key, tc.label)
			}
		})
	}

	// Unscoped, by_network splits the total exactly.
	u := decode[Usage](t, do(t, h, req{path: "/api/today"}))
	if len(u.ByNetwork) != 2 || u.ByNetwork[0].Key != officeKey || u.ByNetwork[1].Key != homeKey ||
		u.ByNetwork[0].TotalBytes+u.ByNetwork[1].TotalBytes != u.TotalBytes {
		t.Errorf("by_network %+v of total %d", u.ByNetwork, u.TotalBytes)
	}

	t.Run("export", func(t *testing.T) {
		w := do(t, h, req{path: "/api/export?format=csv&network=Home&" + rangeQ})
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, c := range rows[0] {
			col[c] = i
		}
		if _, ok := col["network_label"]; !ok || len(rows) != 2 {
			t.Fatalf("rows %q", rows)
		}
		if r := rows[1]; r[col["nic"]] != "wlan0" || r[col["network"]] != homeKey || r[col["network_label"]] != homeLabel {
			t.Errorf("row %q", r)
		}
		var js []map[string]any
		w = do(t, h, req{path: "/api/export?format=json&network=" + url.QueryEscape(officeKey) + "&" + rangeQ})
		if err := json.Unmarshal(w.Body.Bytes(), &js); err != nil {
			t.Fatalf("%v: %s", err, w.Body)
		}
		if len(js) != 1 || js[0]["network"] != officeKey || js[0]["network_label"] != officeLabel {
			t.Errorf("json rows %v", js)
		}
	})

	// An unknown network is the store's message under the parameter.
	const msg = `network: unknown network "nope" (known: Home, Network 1, Unknown)`
	for _, path := range []string{"/api/today?network=nope", "/api/month?network=nope", "/api/range?network=nope&" + rangeQ, "/api/summary?network=nope", "/api/export?network=nope"} {
		w := do(t, h, req{path: path})
		if got := decode[apiError](t, w).Error; w.Code != 400 || got != msg {
			t.Errorf("%s: %d %q, want 400 %q", path, w.Code, got, msg)
		}
		if w.Header().Get("Content-Disposition") != "" {
			t.Errorf("%s: the error is a download", path)
		}
	}
	if w := do(t, h, req{path: "/api/today?network=Home&network=Unknown"}); w.Code != 400 || !strings.Contains(w.Body.String(), "network: given more than once") {
		t.Errorf("repeated network=: %d %s", w.Code, w.Body)
	}
}

// TestNetworkUnflushed checks that the live part respects network= and
// by_network, including a network first seen since the last flush. It
// runs on synctest's clock: the monitor polls every 100 ms, flushes hourly.
func TestNetworkUnflushed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		h := e.server(Options{}).Handler()
		counted := func() uint64 {
			e.counters.mu.Lock()
			defer e.counters.mu.Unlock()
			return e.counters.sent + e.counters.recv
		}
		e.counters.setTraffic(true)
		time.Sleep(time.Second)
		e.counters.setTraffic(false)
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		onOffice := counted()
		// eth0 moves to a café's Wi-Fi, which the store has not seen yet.
		const cafeKey = "wifi:Café"
		e.counters.setNetwork(cafeKey)
		e.counters.setTraffic(true)
		time.Sleep(time.Second)
		e.counters.setTraffic(false)
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		onCafe := counted() - onOffice
		if onOffice == 0 || onCafe == 0 {
			t.Fatalf("no traffic counted: %d, %d", onOffice, onCafe)
		}

		u := decode[Usage](t, do(t, h, req{path: "/api/today"}))
		if u.TotalBytes != 7_000_000+onOffice+onCafe || u.UnflushedBytes != onOffice+onCafe {
			t.Errorf("today %d (unflushed %d), want %d (%d)", u.TotalBytes, u.UnflushedBytes, 7_000_000+onOffice+onCafe, onOffice+onCafe)
		}
		byKey := map[string]uint64{}
		var sum uint64
		for _, n := range u.ByNetwork {
			byKey[n.Key] = n.TotalBytes
			sum += n.TotalBytes
			if n.Key == cafeKey && n.Label != "Café" {
				t.Errorf("new network labelled %q", n.Label)
			}
		}
		if sum != u.TotalBytes || byKey[officeKey] != 6_000_000+onOffice || byKey[cafeKey] != onCafe || byKey[homeKey] != 1_000_000 {
			t.Errorf("by_network %+v, want office %d, café %d", u.ByNetwork, 6_000_000+onOffice, onCafe)
		}
		for _, tc := range []struct {
			query            string
			total, unflushed uint64
		}{
			{"network=" + url.QueryEscape(officeLabel), 6_000_000 + onOffice, onOffice},
			{"network=" + url.QueryEscape(officeKey) + "&nic=eth0", 6_000_000 + onOffice, onOffice},
			{"network=Home", 1_000_000, 0},
			{"network=Home&nic=eth0", 0, 0},
			{"nic=eth0", 6_000_000 + onOffice + onCafe, onOffice + onCafe},
		} {
			u := decode[Usage](t, do(t, h, req{path: "/api/today?" + tc.query}))
			if u.TotalBytes != tc.total || u.UnflushedBytes != tc.unflushed {
				t.Errorf("today?%s: %d (unflushed %d), want %d (%d)", tc.query, u.TotalBytes, u.UnflushedBytes, tc.total, tc.unflushed)
			}
			var nicSum, netSum uint64
			for _, n := range u.ByNIC {
				nicSum += n.TotalBytes
			}
			for _, n := range u.ByNetwork {
				netSum += n.TotalBytes
			}
			if nicSum != u.TotalBytes || netSum != u.TotalBytes {
				t.Errorf("today?%s: by_nic %d, by_network %d, total %d", tc.query, nicSum, netSum, u.TotalBytes)
			}
		}

		// The list: the café is current, its traffic live, not recorded yet.
		nets := decode[Networks](t, do(t, h, req{path: "/api/networks"})).Networks
		var listed uint64
		for _, n := range nets {
			listed += n.TotalBytes
			if n.Current != (n.Key == cafeKey) {
				t.Errorf("%q current=%v", n.Key, n.Current)
			}
		}
		if last := nets[len(nets)-1]; last.Key != cafeKey || last.Label != "Café" || last.TotalBytes != onCafe || !last.FirstSeen.IsZero() {
			t.Errorf("new network listed as %+v", last)
		}
		lifetime := decode[Usage](t, do(t, h, req{path: "/api/summary"}))
		if listed != lifetime.TotalBytes {
			t.Errorf("networks add up to %d, lifetime is %d", listed, lifetime.TotalBytes)
		}

		// After a flush the store has it under its default label.
		if err := e.mon.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		u = decode[Usage](t, do(t, h, req{path: "/api/today?network=Caf%C3%A9"}))
		if u.TotalBytes != onCafe || u.UnflushedBytes != 0 || len(u.ByNetwork) != 1 || u.ByNetwork[0].Label != "Café" {
			t.Errorf("after the flush: %d (unflushed %d) %+v", u.TotalBytes, u.UnflushedBytes, u.ByNetwork)
		}
	})
}

func TestRenameNetwork(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	rename := func(body string) (int, string) {
		w := do(t, h, req{method: "POST", path: "/api/networks/rename", body: body, hdr: unsafeHeaders(e.token)})
		return w.Code, w.Body.String()
	}
	// Warm the cache: the answer after the rename must not be stale.
	if u := decode[Usage](t, do(t, h, req{path: "/api/today"})); u.ByNetwork[0].Label != officeLabel {
		t.Fatalf("by_network %+v", u.ByNetwork)
	}

	code, body := rename(`{"network": "Network 1", "label": "  Office  "}`)
	if code != 200 {
		t.Fatalf("rename: %d %s", code, body)
	}
	var got NetworkView
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Key != officeKey || got.Label != "Office" || !got.Current || got.TotalBytes != 6_000_000 {
		t.Errorf("renamed network %+v", got)
	}
	if u := decode[Usage](t, do(t, h, req{path: "/api/today"})); u.ByNetwork[0].Label != "Office" {
		t.Errorf("after the rename by_network %+v", u.ByNetwork)
	}
	if u := decode[Usage](t, do(t, h, req{path: "/api/today?network=Office"})); u.TotalBytes != 6_000_000 {
		t.Errorf("network=Office: %d", u.TotalBytes)
	}
	if w := do(t, h, req{path: "/api/today?network=" + url.QueryEscape(officeLabel)}); w.Code != 400 {
		t.Errorf("old label still resolves: %d", w.Code)
	}
	// By key, and the unknown network by its label.
	if code, body := rename(`{"network": "wifi:Home", "label": "Home Wi-Fi"}`); code != 200 || !strings.Contains(body, `"label":"Home Wi-Fi"`) {
		t.Errorf("rename by key: %d %s", code, body)
	}
	if code, body := rename(`{"network": "Unknown", "label": "Before networks"}`); code != 200 || !strings.Contains(body, `"key":""`) {
		t.Errorf("rename the unknown network: %d %s", code, body)
	}

	for _, tc := range []struct {
		name, body, want string
	}{
		{"empty label", `{"network": "Office", "label": ""}`, "label: network label is empty"},
		{"blank label", `{"network": "Office", "label": " \t "}`, "label: network label is empty"},
		{"long label", `{"network": "Office", "label": "` + strings.Repeat("é", 65) + `"}`, "label: network label is longer than 64 characters"},
		{"control character", `{"network": "Office", "label": "a\u0007b"}`, "label: network label contains control characters"},
		{"taken label", `{"network": "Office", "label": "Home Wi-Fi"}`, `label: network label "Home Wi-Fi" is taken by another network ("wifi:Home")`},
		{"unknown network", `{"network": "nope", "label": "x"}`, `network: unknown network "nope" (known: Before networks, Home Wi-Fi, Office)`},
		{"missing network", `{"label": "x"}`, "network: missing"},
		{"missing label", `{"network": "Office"}`, "label: missing"},
		{"unknown field", `{"network": "Office", "label": "x", "colour": "red"}`, `unknown field "colour"`},
		{"not an object", `"Office"`, "bad JSON body"},
		{"wrong type", `{"network": "Office", "label": 7}`, "bad JSON body"},
		{"two values", `{"network": "Office", "label": "x"} {}`, "more than one value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := rename(tc.body)
			var e apiError
			json.Unmarshal([]byte(body), &e)
			if code != 400 || !strings.Contains(e.Error, tc.want) {
				t.Errorf("%d %s, want 400 %q", code, body, tc.want)
			}
		})
	}
	if u := decode[Usage](t, do(t, h, req{path: "/api/today?network=Office"})); u.TotalBytes != 6_000_000 {
		t.Errorf("a refused rename changed the label: %d", u.TotalBytes)
	}

	// The protections of every state-changing request.
	ok := unsafeHeaders(e.token)
	for name, hdr := range map[string]map[string]string{
		"cross-site": {"Content-Type": "application/json", TokenHeader: e.token, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		"no token":   {"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin", "Origin": ok["Origin"]},
		"form":       {"Content-Type": "application/x-www-form-urlencoded", TokenHeader: e.token, "Sec-Fetch-Site": "same-origin", "Origin": ok["Origin"]},
		"foreign host": {"Host": "evil.example:7373", "Content-Type": "application/json", TokenHeader: e.token,
			"Sec-Fetch-Site": "same-origin", "Origin": ok["Origin"]},
	} {
		w := do(t, h, req{method: "POST", path: "/api/networks/rename", body: `{"network": "Office", "label": "Pwned"}`, hdr: hdr})
		if w.Code != 403 && w.Code != 415 {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	if w := do(t, h, req{path: "/api/networks/rename"}); w.Code != 405 {
		t.Errorf("GET rename: %d", w.Code)
	}
	if nets := decode[Networks](t, do(t, h, req{path: "/api/networks"})).Networks; nets[1].Label != "Office" {
		t.Errorf("a refused request renamed the network: %+v", nets[1])
	}
}
