package dashboard

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// FuzzQueryParameters throws arbitrary query strings at the usage and
// export endpoints: every answer must be a 200 or a JSON 400, never a 500.
func FuzzQueryParameters(f *testing.F) {
	for _, seed := range []string{
		"start=2026-01-01&end=2026-01-31", "month=2026-02", "start=2026-02-30&end=2026-03-01",
		"tz=Asia/Kolkata&nic=eth0", "tz=../../etc/passwd", "start=0001-01-01&end=9999-12-31",
		"format=json&start=2026-01-01", "device=all", "month=-001-01", "end=2026-01-01&start=",
	} {
		f.Add("/api/range", seed)
		f.Add("/api/month", seed)
	}
	e := newTestEnv(f)
	h := e.server(Options{}).Handler()
	paths := []string{"/api/today", "/api/month", "/api/range", "/api/summary", "/api/export"}
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
