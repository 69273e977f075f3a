package dashboard

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// FuzzQueryParameters throws arbitrary query strings at the usage,
// export and network endpoints: every answer must be a 200 or a JSON 400, never a 500.
func FuzzQueryParameters(f *testing.F) {
	for _, seed := range []string{
		"start=2026-01-01&end=2026-01-31", "month=2026-02", "start=2026-02-30&end=2026-03-01",
		"tz=Asia/Kolkata&nic=eth0", "tz=../../etc/passwd", "start=0001-01-01&end=9999-12-31",
		"format=json&start=2026-01-01", "device=all", "month=-001-01", "end=2026-01-01&start=",
		"network=Home", "network=wifi%3AHome&nic=wlan0", "network=unknown", "network=gateway%3A02%3A00%3A5e%3A00%3A00%3A01",
		"network=%00", "network=Network+1&device=all", "network=%E2%80%AE&format=json", "network=" + strings.Repeat("x", 300),
	} {
		f.Add("/api/range", seed)
		f.Add("/api/month", seed)
		f.Add("/api/networks", seed)
	}
	e := newTestEnv(f)
	h := e.server(Options{}).Handler()
	paths := []string{"/api/today", "/api/month", "/api/range", "/api/summary", "/api/export", "/api/networks"}
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		if !strings.HasPrefix(path, "/api/") {
			path = paths[len(path)%len(paths)]
		}
		vals, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		path = "/api/" + url.PathEscape(strings.TrimPrefix(path, "/api/"))
		w := do(t, h, req{path: path + "?" + vals.Encode()})
		switch {
		case w.Code == 200:
		case w.Code >= 400 && w.Code < 500:
			var body apiError
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == "" {
				t.Fatalf("%s?%s: %d with body %q", path, rawQuery, w.Code, w.Body)
			}
		default:
			t.Fatalf("%s?%s: status %d: %s", path, rawQuery, w.Code, w.Body)
		}
	})
}

// FuzzRenameNetwork throws arbitrary bodies at the rename endpoint: every
// answer is a 200 with the label the list then shows, or a JSON 4xx.
func FuzzRenameNetwork(f *testing.F) {
	for _, seed := range []string{
		`{"network": "Home", "label": "Home Wi-Fi"}`, `{"network": "", "label": "x"}`, `{"network": "Network 1", "label": ""}`,
		`{"network": "Unknown", "label": "<b>x</b>"}`, `{"network": "wifi:Home", "label": "a\u0000b"}`, `{"label": "x"}`, `[]`, `null`,
	} {
		f.Add(seed)
	}
	e := newTestEnv(f)
	h := e.server(Options{}).Handler()
	f.Fuzz(func(t *testing.T, body string) {
		w := do(t, h, req{method: "POST", path: "/api/networks/rename", body: body, hdr: unsafeHeaders(e.token)})
		switch {
		case w.Code == 200:
			n := decode[NetworkView](t, w)
			list := decode[Networks](t, do(t, h, req{path: "/api/networks?device=all"})).Networks
			found := false
			for _, l := range list {
				found = found || (l.Key == n.Key && l.Label == n.Label)
			}
			if !found && n.TotalBytes > 0 {
				t.Fatalf("renamed to %q, the list says %+v", n.Label, list)
			}
		case w.Code >= 400 && w.Code < 500:
			if body := decode[apiError](t, w); body.Error == "" {
				t.Fatalf("%d without a message", w.Code)
			}
		default:
			t.Fatalf("%q: status %d: %s", body, w.Code, w.Body)
		}
	})
}
