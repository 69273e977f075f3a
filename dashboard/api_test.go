package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/config"
	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// testHost is the Host header the default address expects.
const testHost = "127.0.0.1:7373"

type req struct {
	method string
	path   string
	body   string
	hdr    map[string]string
}

// do sends r to h as a browser on the dashboard's own page would, unless
// r.hdr overrides the headers.
func do(t testing.TB, h http.Handler, r req) *httptest.ResponseRecorder {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	hr.Host = testHost
	for k, v := range r.hdr {
		if k == "Host" {
			hr.Host = v
			continue
		}
		if v == "" {
			hr.Header.Del(k)
			continue
		}
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, hr)
	return w
}

func decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", w.Body.String(), err)
	}
	return v
}

// unsafeHeaders are what the page's script sends with POST and PUT.
func unsafeHeaders(token string) map[string]string {
	return map[string]string{"Content-Type": "application/json", TokenHeader: token, "Sec-Fetch-Site": "same-origin", "Origin": "http://" + testHost}
}

func TestUsageEndpoints(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	today := testToday()
	day0 := today.Start(time.UTC)
	monthStart := time.Date(today.Year, today.Month, 1, 0, 0, 0, 0, time.UTC)
	monthSent, monthRecv := sumSeed(monthStart, monthStart.AddDate(0, 1, 0), "")
	rangeFrom := today.AddDays(-10)
	rangeSent, rangeRecv := sumSeed(rangeFrom.Start(time.UTC), day0.AddDate(0, 0, 1), "")
	allSent, allRecv := sumSeed(time.Time{}, day0.AddDate(1, 0, 0), "")
	prevMonth := monthStart.AddDate(0, -1, 0)
	prevSent, prevRecv := sumSeed(prevMonth, monthStart, "")

	tests := []struct {
		name       string
		path       string
		sent, recv uint64
		gran       string
		series     int
		nics       int
		check      func(t *testing.T, u Usage)
	}{
		{name: "today", path: "/api/today", sent: 1_250_000, recv: 5_750_000, gran: "hour", series: 24, nics: 2,
			check: func(t *testing.T, u Usage) {
				if u.HumanReadable.Total != "7.00 MB" {
					t.Errorf("human total %q, want 7.00 MB", u.HumanReadable.Total)
				}
				if got, want := u.Cost.Total.Cost, 7e6/1e9*7.5; got < want-1e-12 || got > want+1e-12 {
					t.Errorf("cost %v, want %v", got, want)
				}
				if u.Period.Start != today.String() || u.Period.End != today.String() || u.Period.TimeZone != "UTC" {
					t.Errorf("period %+v", u.Period)
				}
				if u.Series[0].TotalBytes != 6_000_000 || u.Series[1].TotalBytes != 1_000_000 {
					t.Errorf("hourly series starts %d, %d", u.Series[0].TotalBytes, u.Series[1].TotalBytes)
				}
				if u.ByNIC[0].NIC != "eth0" || u.ByNIC[0].TotalBytes != 6_000_000 {
					t.Errorf("by_nic %+v", u.ByNIC)
				}
			}},
		{name: "today one nic", path: "/api/today?nic=wlan0", sent: 250_000, recv: 750_000, gran: "hour", series: 24, nics: 1},
		{name: "today all devices", path: "/api/today?device=all", sent: 1_250_000, recv: 5_750_000, gran: "hour", series: 24, nics: 2},
		{name: "today by device id", path: "/api/today?device=" + e.st.DeviceID(), sent: 1_250_000, recv: 5_750_000, gran: "hour", series: 24, nics: 2},
		{name: "this month", path: "/api/month", sent: monthSent, recv: monthRecv, gran: "day",
			series: time.Date(today.Year, today.Month+1, 0, 0, 0, 0, 0, time.UTC).Day(), nics: -1,
			check: func(t *testing.T, u Usage) {
				if testenv.Now().Sub(monthStart) >= time.Hour && u.Projection == nil {
					t.Error("current month without projection")
				}
				if u.Projection != nil && u.Projection.TotalBytes < u.TotalBytes {
					t.Errorf("projection %d below total %d", u.Projection.TotalBytes, u.TotalBytes)
				}
			}},
		{name: "previous month", path: "/api/month?month=" + prevMonth.Format("2006-01"), sent: prevSent, recv: prevRecv, gran: "day",
			series: monthStart.AddDate(0, 0, -1).Day(), nics: 1,
			check: func(t *testing.T, u Usage) {
				if u.Projection != nil {
					t.Error("past month has a projection")
				}
			}},
		{name: "range", path: "/api/range?start=" + rangeFrom.String() + "&end=" + today.String(), sent: rangeSent, recv: rangeRecv, gran: "day", series: 11, nics: 2},
		{name: "range one nic", path: "/api/range?nic=eth0&start=" + rangeFrom.String() + "&end=" + today.String(), sent: rangeSent - 250_000, recv: rangeRecv - 750_000, gran: "day", series: 11, nics: 1},
		{name: "summary", path: "/api/summary", sent: allSent, recv: allRecv, gran: "month", series: -1, nics: 2,
			check: func(t *testing.T, u Usage) {
				if len(u.TopDays) != topDays {
					t.Fatalf("%d top days, want %d", len(u.TopDays), topDays)
				}
				if want := today.AddDays(-40).String(); u.TopDays[0].Date != want || u.TopDays[0].TotalBytes != 120_000_000 {
					t.Errorf("top day %s %d, want %s 120000000", u.TopDays[0].Date, u.TopDays[0].TotalBytes, want)
				}
				if u.Period.Start != today.AddDays(-40).Start(time.UTC).Format("2006-01")+"-01" {
					t.Errorf("summary starts %s", u.Period.Start)
				}
			}},
		{name: "other zone", path: "/api/today?tz=Asia/Kolkata", gran: "hour", series: 24, nics: -1, sent: 1<<63 - 1,
			check: func(t *testing.T, u Usage) {
				if u.Period.TimeZone != "Asia/Kolkata" {
					t.Errorf("tz %q", u.Period.TimeZone)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, h, req{path: tc.path})
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			u := decode[Usage](t, w)
			if tc.sent != 1<<63-1 && (u.BytesSent != tc.sent || u.BytesReceived != tc.recv || u.TotalBytes != tc.sent+tc.recv) {
				t.Errorf("sent/received/total %d/%d/%d, want %d/%d/%d", u.BytesSent, u.BytesReceived, u.TotalBytes, tc.sent, tc.recv, tc.sent+tc.recv)
			}
			if u.Granularity != tc.gran {
				t.Errorf("granularity %q, want %q", u.Granularity, tc.gran)
			}
			if tc.series >= 0 && len(u.Series) != tc.series {
				t.Errorf("%d series points, want %d", len(u.Series), tc.series)
			}
			if tc.nics >= 0 && len(u.ByNIC) != tc.nics {
				t.Errorf("%d NICs, want %d: %+v", len(u.ByNIC), tc.nics, u.ByNIC)
			}
			var sum uint64
			for _, p := range u.Series {
				sum += p.TotalBytes
			}
			if sum != u.TotalBytes {
				t.Errorf("series adds up to %d, total is %d", sum, u.TotalBytes)
			}
			if u.Gaps == nil {
				t.Error("gaps is null, want a list")
			}
			if tc.check != nil {
				tc.check(t, u)
			}
		})
	}
}

// TestTodayIncludesUnflushed checks that traffic counted by the monitor but
// not yet flushed shows in today's totals at once. It runs on synctest's
// clock: the monitor polls every 100 ms and flushes hourly.
func TestTodayIncludesUnflushed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		h := e.server(Options{}).Handler()
		e.counters.setTraffic(true)
		time.Sleep(time.Second)
		synctest.Wait()
		u := decode[Usage](t, do(t, h, req{path: "/api/today"}))
		if u.UnflushedBytes == 0 {
			t.Fatal("no unflushed traffic in /api/today")
		}
		if u.TotalBytes-u.UnflushedBytes != 7_000_000 {
			t.Errorf("total %d - unflushed %d != seeded 7000000", u.TotalBytes, u.UnflushedBytes)
		}
		var nicSum uint64
		for _, n := range u.ByNIC {
			nicSum += n.TotalBytes
		}
		if nicSum != u.TotalBytes {
			t.Errorf("by_nic adds up to %d, total %d", nicSum, u.TotalBytes)
		}
	})
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	tests := []struct {
		name, path string
		code       int
		mention    string // the parameter the message must name
	}{
		{"bad start date", "/api/range?start=2026-13-01&end=2026-12-01", 400, "start"},
		{"bad end date", "/api/range?start=2026-01-01&end=yesterday", 400, "end"},
		{"short date", "/api/range?start=2026-1-1&end=2026-01-02", 400, "start"},
		{"missing start", "/api/range?end=2026-01-02", 400, "start"},
		{"missing end", "/api/range?start=2026-01-02", 400, "end"},
		{"end before start", "/api/range?start=2026-02-01&end=2026-01-01", 400, "before start"},
		{"range over 20 years", "/api/range?start=2000-01-01&end=2025-01-01", 400, "20 years"},
		{"unknown format", "/api/export?format=xml", 400, "format"},
		{"export end before start", "/api/export?start=2026-02-01&end=2026-01-01", 400, "end"},
		{"export bad date", "/api/export?start=01/02/2026", 400, "start"},
		{"unknown nic", "/api/today?nic=nope0", 400, "nic"},
		{"unknown nic in range", "/api/range?start=2026-01-01&end=2026-01-02&nic=nope0", 400, "nic"},
		{"unknown nic in export", "/api/export?nic=nope0", 400, "nic"},
		{"unknown nic in summary", "/api/summary?nic=nope0", 400, "nic"},
		{"unknown device", "/api/month?device=some-laptop", 400, "device"},
		{"bad month", "/api/month?month=2026-1", 400, "month"},
		{"bad month value", "/api/month?month=2026-13", 400, "month"},
		{"bad tz", "/api/today?tz=Mars/Olympus", 400, "tz"},
		{"tz Local", "/api/today?tz=Local", 400, "tz"},
		{"repeated parameter", "/api/today?nic=eth0&nic=wlan0", 400, "nic"},
		{"unknown api path", "/api/nope", 404, "/api/nope"},
		{"unknown nested api path", "/api/today/extra", 404, "no such"},
		{"wrong method", "DELETE /api/today", 405, "DELETE"},
		{"get on pause", "GET /api/pause", 405, "POST"},
		{"post on settings", "POST /api/settings", 405, "PUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, path := "GET", tc.path
			if m, p, ok := strings.Cut(tc.path, " "); ok {
				method, path = m, p
			}
			r := req{method: method, path: path}
			if method != "GET" {
				r.hdr = unsafeHeaders(e.token)
				r.body = "{}"
			}
			w := do(t, h, r)
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q, want JSON", ct)
			}
			body := decode[apiError](t, w)
			if !strings.Contains(body.Error, tc.mention) {
				t.Errorf("error %q does not mention %q", body.Error, tc.mention)
			}
			for _, leak := range []string{"SELECT", "sql", "goroutine", ".go:"} {
				if strings.Contains(body.Error, leak) {
					t.Errorf("error %q leaks %q", body.Error, leak)
				}
			}
			if tc.code == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

// TestMalformedQueryString: a query string Go cannot parse is a 400, not
// an answer for whatever scope is left after dropping the bad pair.
func TestMalformedQueryString(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	for _, path := range []string{
		"/api/today?device=nope;x=1",
		"/api/today?nic=nope%zz",
		"/api/month?month=2020-01;",
		"/api/range?start=2026-01-01&end=2026-01-02&nic=%",
		"/api/summary?device=a;b",
		"/api/export?format=csv;nic=x",
	} {
		w := do(t, h, req{path: path})
		if w.Code != 400 || !strings.Contains(w.Body.String(), "query string") {
			t.Errorf("%s: %d %.200s; want 400 naming the query string", path, w.Code, w.Body)
		}
		if w.Header().Get("Content-Disposition") != "" {
			t.Errorf("%s: error answer is a download", path)
		}
	}
}

// TestQueryErrorMessages: a query the store refuses gets the store's
// message under the parameter's name; a device the store does not know
// also points to the list of devices.
func TestQueryErrorMessages(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	for path, want := range map[string]string{
		"/api/today?nic=nope0":                        `nic: unknown NIC "nope0" (recorded: eth0, wlan0)`,
		"/api/export?nic=nope0":                       `nic: unknown NIC "nope0" (recorded: eth0, wlan0)`,
		"/api/month?device=some-laptop":               `device: unknown device "some-laptop" (see /api/devices)`,
		"/api/range?start=2026-02-01&end=2026-01-01":  "end: end 2026-01-01 is before start 2026-02-01",
		"/api/export?start=2026-02-01&end=2026-01-01": "end: end 2026-01-01 is before start 2026-02-01",
		"/api/range?start=2000-01-01&end=2030-01-01":  "end: range 2000-01-01..2030-01-01 is longer than 20 years",
		"/api/export?start=2000-01-01&end=2030-01-01": "end: range 2000-01-01..2030-01-01 is longer than 20 years",
		"/api/month?month=2026-13":                    `month: bad month "2026-13": want YYYY-MM`,
	} {
		w := do(t, h, req{path: path})
		if got := decode[apiError](t, w).Error; w.Code != 400 || got != want {
			t.Errorf("%s: %d %q, want 400 %q", path, w.Code, got, want)
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	retry := time.Date(2026, 1, 1, 0, 2, 0, 0, time.UTC)
	ok := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		sync Sync
		want SyncState
	}{
		{"no syncer", nil, SyncState{State: cloudsync.SummaryOff, Detail: cloudsync.StateNotConfigured}},
		{"not configured", &fakeSync{st: cloudsync.Status{State: cloudsync.StateNotConfigured, Enabled: true}},
			SyncState{State: cloudsync.SummaryOff, Detail: cloudsync.StateNotConfigured, Enabled: true}},
		{"switched off", &fakeSync{st: cloudsync.Status{State: cloudsync.StateDisabled, Configured: true, LastSuccess: ok}},
			SyncState{State: cloudsync.SummaryOff, Detail: cloudsync.StateDisabled, Configured: true, LastSuccess: ok}},
		{"ok", &fakeSync{st: cloudsync.Status{State: cloudsync.StateIdle, Configured: true, Enabled: true, LastSuccess: ok, NextAttempt: retry, Pending: 3, Devices: 2}},
			SyncState{State: cloudsync.SummaryOK, Detail: cloudsync.StateIdle, Configured: true, Enabled: true, LastSuccess: ok, Pending: 3, Devices: 2}},
		{"syncing", &fakeSync{st: cloudsync.Status{State: cloudsync.StateSyncing, Configured: true, Enabled: true, LastSuccess: ok}},
			SyncState{State: cloudsync.SummaryOK, Detail: cloudsync.StateSyncing, Configured: true, Enabled: true, Syncing: true, LastSuccess: ok}},
		{"failing", &fakeSync{st: cloudsync.Status{State: cloudsync.StateRetrying, Configured: true, Enabled: true, LastSuccess: ok, LastError: "connection refused", Failures: 2, NextAttempt: retry}},
			SyncState{State: cloudsync.SummaryFailing, Detail: cloudsync.StateRetrying, Configured: true, Enabled: true, LastSuccess: ok, LastError: "connection refused", NextRetry: retry}},
		{"failed for good", &fakeSync{st: cloudsync.Status{State: cloudsync.StateFailed, Configured: true, Enabled: true, LastError: "password authentication failed", Permanent: true}},
			SyncState{State: cloudsync.SummaryFailing, Detail: cloudsync.StateFailed, Configured: true, Enabled: true, LastError: "password authentication failed", Permanent: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e.server(Options{Sync: tc.sync}).Handler()
			w := do(t, h, req{path: "/api/health"})
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			got := decode[Health](t, w)
			if got.Status != "ok" || got.Version != "test" || got.DeviceID != e.st.DeviceID() || got.Paused || got.DatabaseBytes <= 0 {
				t.Errorf("health %+v", got)
			}
			if !reflect.DeepEqual(got.Sync, tc.want) {
				t.Errorf("sync %+v, want %+v", got.Sync, tc.want)
			}
			if !strings.Contains(w.Body.String(), `"paused":false`) {
				t.Errorf("body lacks \"paused\":false: %s", w.Body)
			}
		})
	}
}

// TestHealthClock: the page takes "now" and today's date from the health
// answer, so they are the server's clock and the store's zone, whatever
// the browser's clock and zone say.
func TestHealthClock(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skip(err)
	}
	// Already 1 March in Kolkata, still 28 February in the store's UTC.
	now := time.Date(2027, 3, 1, 0, 0, 30, 0, kolkata)
	h := e.server(Options{Now: func() time.Time { return now }}).Handler()
	got := decode[Health](t, do(t, h, req{path: "/api/health"}))
	if !got.Now.Equal(now) || got.Today != "2027-02-28" || got.TimeZone != "UTC" {
		t.Errorf("now %v today %q tz %q, want %v 2027-02-28 UTC", got.Now, got.Today, got.TimeZone, now)
	}
}

// TestLive reads the live rates after half a second of traffic, on
// synctest's clock.
func TestLive(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.counters.setTraffic(true)
		h := e.server(Options{}).Handler()
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		w := do(t, h, req{path: "/api/live"})
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		v := decode[LiveView](t, w)
		if len(v.Points) < 3 || v.Up <= 0 || len(v.NICs) != 1 || v.NICs[0].Name != "eth0" || v.NICs[0].Network != officeKey {
			t.Errorf("live after 0.5 s of traffic: %+v", v)
		}
		if len(v.Networks) != 1 || v.Networks[0].Key != officeKey || v.Networks[0].Label != officeLabel || len(v.Networks[0].NICs) != 1 {
			t.Errorf("live networks %+v", v.Networks)
		}
		// A network not recorded yet has the label it will get.
		e.counters.setNetwork("gateway:02:00:5e:00:00:02")
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if v := decode[LiveView](t, do(t, h, req{path: "/api/live"})); len(v.Networks) != 1 || v.Networks[0].Label != "Network 2" {
			t.Errorf("live networks on a new gateway %+v", v.Networks)
		}
	})
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	for _, tc := range []struct {
		path string
		body string
		want bool
	}{
		{"/api/pause", "", true},
		{"/api/pause", "{}", true},
		{"/api/resume", "{}", false},
	} {
		w := do(t, h, req{method: "POST", path: tc.path, body: tc.body, hdr: unsafeHeaders(e.token)})
		if w.Code != 200 {
			t.Fatalf("%s: status %d: %s", tc.path, w.Code, w.Body)
		}
		if got := decode[map[string]bool](t, w)["paused"]; got != tc.want {
			t.Errorf("%s: paused %v, want %v", tc.path, got, tc.want)
		}
		if e.mon.Paused() != tc.want {
			t.Errorf("%s: monitor paused %v", tc.path, e.mon.Paused())
		}
		if got := decode[Health](t, do(t, h, req{path: "/api/health"})).Paused; got != tc.want {
			t.Errorf("%s: health paused %v", tc.path, got)
		}
	}
	saved, err := e.st.Paused(context.Background())
	if err != nil || saved {
		t.Errorf("saved pause state %v, %v; want false", saved, err)
	}
}

func TestSettingsAPI(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	if err := os.WriteFile(e.cfgPath, []byte(config.Render(config.Default())), 0o600); err != nil {
		t.Fatal(err)
	}
	got := decode[Prefs](t, do(t, h, req{path: "/api/settings"}))
	if got != (Prefs{Currency: "₹", CurrencyCode: "INR", RateSentPerGB: 7.5, RateReceivedPerGB: 7.5, Units: "decimal"}) {
		t.Fatalf("defaults %+v", got)
	}
	w := do(t, h, req{method: "PUT", path: "/api/settings", body: `{"rate_sent_per_gb": 8, "currency": "$", "currency_code": "USD", "units": "iec"}`, hdr: unsafeHeaders(e.token)})
	if w.Code != 200 {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	want := Prefs{Currency: "$", CurrencyCode: "USD", RateSentPerGB: 8, RateReceivedPerGB: 7.5, Units: "iec"}
	if got := decode[Prefs](t, w); got != want {
		t.Errorf("put returned %+v, want %+v", got, want)
	}
	data, _ := os.ReadFile(e.cfgPath)
	for _, s := range []string{"rate_sent_per_gb = 8", `units = "iec"`, "# Cost = bytes / 10^9 x rate, per direction."} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("config file lacks %q:\n%s", s, data)
		}
	}
	// Usage is priced and formatted with the new settings at once.
	u := decode[Usage](t, do(t, h, req{path: "/api/today"}))
	if u.Cost.Currency != "$" || u.HumanReadable.Total != "6.68 MiB" {
		t.Errorf("today after settings change: %+v %+v", u.Cost, u.HumanReadable)
	}
	// An edit of the file by anything else shows without a restart (its
	// size changes, so within the file system's timestamp resolution too).
	edited := bytes.Replace(data, []byte("rate_received_per_gb = 7.5"), []byte("rate_received_per_gb = 3"), 1)
	if err := os.WriteFile(e.cfgPath, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := decode[Prefs](t, do(t, h, req{path: "/api/settings"})); got.RateReceivedPerGB != 3 {
		t.Errorf("after external edit: %+v", got)
	}

	for _, tc := range []struct{ name, body, mention string }{
		{"negative rate", `{"rate_sent_per_gb": -1}`, "rate_sent_per_gb"},
		{"huge rate", `{"rate_received_per_gb": 1e12}`, "rate_received_per_gb"},
		{"bad units", `{"units": "furlongs"}`, "units"},
		{"long currency", `{"currency": "` + strings.Repeat("x", 17) + `"}`, "currency"},
		{"unknown field", `{"colour": "red"}`, "colour"},
		{"wrong type", `{"rate_sent_per_gb": "eight"}`, "rate_sent_per_gb"},
		{"not JSON", `rate=8`, "bad JSON"},
		{"two values", `{} {}`, "more than one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, h, req{method: "PUT", path: "/api/settings", body: tc.body, hdr: unsafeHeaders(e.token)})
			if w.Code != 400 {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			if msg := decode[apiError](t, w).Error; !strings.Contains(msg, tc.mention) {
				t.Errorf("error %q does not mention %q", msg, tc.mention)
			}
		})
	}
	if got := decode[Prefs](t, do(t, h, req{path: "/api/settings"})); got.RateSentPerGB != 8 {
		t.Errorf("a rejected change altered the settings: %+v", got)
	}
}

func TestNICs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	w := do(t, e.server(Options{}).Handler(), req{path: "/api/nics"})
	if got := decode[map[string][]string](t, w)["nics"]; strings.Join(got, ",") != "eth0,wlan0" {
		t.Errorf("nics %v", got)
	}
}

// discard drains and closes a response body.
func discard(r *http.Response) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
}
