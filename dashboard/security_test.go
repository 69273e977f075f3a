package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestHostileRequests(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	tok := e.token
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	ok := unsafeHeaders(tok)
	tests := []struct {
		name string
		r    req
		code int
	}{
		{"foreign host", req{path: "/api/today", hdr: map[string]string{"Host": "evil.example:7373"}}, 403},
		{"rebinding name with our port", req{path: "/", hdr: map[string]string{"Host": "localhost.evil.example:7373"}}, 403},
		{"loopback name wrong port", req{path: "/api/health", hdr: map[string]string{"Host": "127.0.0.1:8080"}}, 403},
		{"loopback name no port", req{path: "/api/health", hdr: map[string]string{"Host": "localhost"}}, 403},
		{"other loopback address", req{path: "/api/health", hdr: map[string]string{"Host": "127.0.0.2:7373"}}, 403},
		{"empty host", req{path: "/api/health", hdr: map[string]string{"Host": ""}}, 403},
		{"foreign host on page", req{path: "/", hdr: map[string]string{"Host": "attacker.example"}}, 403},
		{"foreign host with token", req{method: "POST", path: "/api/pause", body: "{}", hdr: with(ok, "Host", "evil.example:7373")}, 403},
		{"cross-site POST", req{method: "POST", path: "/api/pause", body: "{}", hdr: with(ok, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")}, 403},
		{"same-site other origin POST", req{method: "POST", path: "/api/pause", body: "{}", hdr: with(ok, "Sec-Fetch-Site", "same-site", "Origin", "http://localhost:7373")}, 403},
		{"foreign origin without fetch metadata", req{method: "PUT", path: "/api/settings", body: "{}", hdr: with(ok, "Sec-Fetch-Site", "", "Origin", "http://evil.example")}, 403},
		{"token-less POST", req{method: "POST", path: "/api/pause", body: "{}", hdr: with(ok, TokenHeader, "")}, 403},
		{"wrong token", req{method: "POST", path: "/api/resume", body: "{}", hdr: with(ok, TokenHeader, strings.Repeat("0", 64))}, 403},
		{"token prefix", req{method: "POST", path: "/api/resume", body: "{}", hdr: with(ok, TokenHeader, tok[:32])}, 403},
		{"form-encoded POST", req{method: "POST", path: "/api/pause", body: "a=1", hdr: with(ok, "Content-Type", "application/x-www-form-urlencoded")}, 415},
		{"multipart POST", req{method: "POST", path: "/api/pause", body: "", hdr: with(ok, "Content-Type", "multipart/form-data; boundary=x")}, 415},
		{"text/plain PUT", req{method: "PUT", path: "/api/settings", body: "{}", hdr: with(ok, "Content-Type", "text/plain")}, 415},
		{"no content type", req{method: "PUT", path: "/api/settings", body: "{}", hdr: with(ok, "Content-Type", "")}, 415},
		{"oversize body", req{method: "PUT", path: "/api/settings", body: `{"currency":"` + strings.Repeat("x", maxBodyBytes) + `"}`, hdr: ok}, 413},
		{"path traversal", req{path: "/../dashboard/server.go"}, 404},
		{"encoded traversal", req{path: "/%2e%2e/%2e%2e/go.mod"}, 404},
		{"encoded slash traversal", req{path: "/vendor/..%2f..%2fserver.go"}, 404},
		{"backslash traversal", req{path: "/vendor/..\\..\\server.go"}, 404},
		{"dot file", req{path: "/.git/config"}, 404},
		{"go source", req{path: "/server.go"}, 404},
		{"embedded dir prefix", req{path: "/static/app.js"}, 404},
		{"POST to page", req{method: "POST", path: "/", body: "{}", hdr: ok}, 405},
		{"same-origin POST with token", req{method: "POST", path: "/api/resume", body: "{}", hdr: ok}, 200},
		{"CLI POST without fetch metadata", req{method: "POST", path: "/api/resume", body: "", hdr: with(ok, "Sec-Fetch-Site", "", "Origin", "")}, 200},
		{"localhost name", req{path: "/api/health", hdr: map[string]string{"Host": "localhost:7373"}}, 200},
		{"IPv6 loopback", req{path: "/api/health", hdr: map[string]string{"Host": "[::1]:7373"}}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, h, tc.r)
			if loc := w.Header().Get("Location"); w.Code/100 == 3 && strings.HasPrefix(loc, "/") {
				// The router cleans ".." by redirecting; follow it.
				w = do(t, h, req{path: loc})
			}
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if strings.Contains(w.Body.String(), "package dashboard") || strings.Contains(w.Body.String(), "module github.com") {
				t.Fatal("served a source file")
			}
			checkSecurityHeaders(t, w.Header())
		})
	}
	if e.mon.Paused() {
		t.Error("a rejected request paused the monitor")
	}
}

func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	if got := h.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options %q", got)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", got)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q allows inline code", csp)
	}
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			t.Errorf("CORS header %s: %q", k, h.Get(k))
		}
	}
}

// TestNoCORS sends preflight-looking and cross-origin requests to every
// route and checks that no response carries a CORS header.
func TestNoCORS(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	s := e.server(Options{})
	for _, rt := range s.routes {
		if rt.path == "/api/stream" {
			continue // covered by TestStream
		}
		for _, method := range []string{"OPTIONS", rt.method} {
			w := do(t, s.Handler(), req{method: method, path: rt.path, body: "{}", hdr: map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST", "Content-Type": "application/json"}})
			checkSecurityHeaders(t, w.Header())
		}
	}
}

func TestPageTokenAndStatic(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	w := do(t, h, req{path: "/"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<meta name="pb-token" content="`+e.token+`">`) {
		t.Fatalf("page %d lacks the token", w.Code)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page Cache-Control %q", cc)
	}
	if strings.Contains(w.Body.String(), "<script>") || strings.Contains(w.Body.String(), " on") && strings.Contains(w.Body.String(), "onclick") {
		t.Error("page has inline script")
	}
	// First load: every file the page needs, compressed as a browser asks.
	var total int
	for _, p := range []string{"/app.js", "/app.css", "/vendor/chart.umd.min.js", "/icon.svg"} {
		w := do(t, h, req{path: p, hdr: map[string]string{"Accept-Encoding": "gzip, deflate, br"}})
		if w.Code != 200 {
			t.Fatalf("%s: %d", p, w.Code)
		}
		total += w.Body.Len()
		etag := w.Header().Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", p)
		}
		if w2 := do(t, h, req{path: p, hdr: map[string]string{"If-None-Match": etag}}); w2.Code != http.StatusNotModified {
			t.Errorf("%s: revalidation %d", p, w2.Code)
		}
	}
	total += do(t, h, req{path: "/"}).Body.Len()
	t.Logf("first load transfers %d bytes (compressed)", total)
	if total > 300<<10 {
		t.Errorf("first load %d bytes, want under 300 KB", total)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	s := e.server(Options{})
	w := do(t, s.Handler(), req{path: "/api/openapi.json"})
	if w.Code != 200 {
		t.Fatal(w.Code)
	}
	doc := decode[struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}](t, w)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, rt := range s.routes {
		registered[rt.method+" "+rt.path] = true
		if !described[rt.method+" "+rt.path] {
			t.Errorf("route %s %s is not in openapi.json", rt.method, rt.path)
		}
	}
	for k := range described {
		if !registered[k] {
			t.Errorf("openapi.json describes %s, which is not a route", k)
		}
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:7373", ":7373"} {
		err := e.server(Options{Addr: addr}).Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "allow_remote") || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%s: %v; want a refusal naming allow_remote", addr, err)
		}
	}
}

// TestRunPortTaken: a dashboard address in use is an error naming it and
// the setting to change, and the monitor keeps counting. It runs on
// synctest's clock (Run fails before it serves anything).
func TestRunPortTaken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		ln := mustListen(t)
		defer ln.Close()
		addr := ln.Addr().String()
		err := e.server(Options{Addr: addr}).Run(t.Context())
		if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "[dashboard] addr") {
			t.Fatalf("got %v; want an error naming %s and [dashboard] addr", err, addr)
		}
		before := len(e.mon.Snapshot().Points)
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		if after := len(e.mon.Snapshot().Points); after <= before && after < 300 {
			t.Errorf("monitor stopped sampling: %d -> %d points", before, after)
		}
	})
}

// TestRunLoopbackOnly starts the real listener and checks which addresses
// answer: 127.0.0.1 and ::1 (when the machine has IPv6), nothing else.
func TestRunLoopbackOnly(t *testing.T) {
	e := newTestEnv(t)
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.server(Options{Addr: addr}).Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	get := func(hostport string) (int, error) {
		c := &http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://" + hostport + "/api/health")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	var code int
	for i := 0; i < 50; i++ {
		if code, err = get(addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != 200 {
		t.Fatalf("127.0.0.1: %d %v", code, err)
	}
	if ln6, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln6.Close()
		if code, err := get("[::1]:" + port); code != 200 {
			t.Errorf("[::1]: %d %v", code, err)
		}
	}
}

// TestAllowRemoteHostCheck: listening on the network must not switch the
// DNS-rebinding defence off. A page of evil.example, rebound to this
// machine, must neither read the usage nor get the token from the page;
// opening the dashboard by IP address or by the configured name works.
func TestAllowRemoteHostCheck(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	tests := []struct {
		addr, host string
		code       int
	}{
		{"0.0.0.0:7373", "evil.example:7373", 403},
		{"0.0.0.0:7373", "localhost.evil.example:7373", 403},
		{"0.0.0.0:7373", "evil.example", 403},
		{"0.0.0.0:7373", "192.0.2.10:8080", 403},
		{"0.0.0.0:7373", "192.0.2.10:7373", 200},
		{"0.0.0.0:7373", "[fe80::1]:7373", 200},
		{"0.0.0.0:7373", "localhost:7373", 200},
		{"0.0.0.0:7373", "127.0.0.1:7373", 200},
		{"mypc.lan:7373", "mypc.lan:7373", 200},
		{"mypc.lan:7373", "MyPC.lan:7373", 200},
		{"mypc.lan:7373", "mypc.lan.evil.example:7373", 403},
	}
	for _, tc := range tests {
		t.Run(tc.addr+" "+tc.host, func(t *testing.T) {
			h := e.server(Options{Addr: tc.addr, AllowRemote: true}).Handler()
			for _, path := range []string{"/", "/api/today"} {
				w := do(t, h, req{path: path, hdr: map[string]string{"Host": tc.host}})
				if w.Code != tc.code {
					t.Fatalf("%s: status %d, want %d: %.200s", path, w.Code, tc.code, w.Body)
				}
				if tc.code == 403 && strings.Contains(w.Body.String(), e.token) {
					t.Fatalf("%s: refused answer carries the token", path)
				}
			}
		})
	}
}

// TestAllowRemotePageToken: with allow_remote, other machines may look at
// the dashboard, but the page they load must not hand them the token that
// every state change needs; a browser on this machine still gets it.
func TestAllowRemotePageToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{Addr: "0.0.0.0:7373", AllowRemote: true}).Handler()
	for _, tc := range []struct {
		remote, host string
		token        bool
	}{
		{"192.0.2.10:50000", "192.0.2.1:7373", false},
		{"[2001:db8::10]:50000", "[2001:db8::1]:7373", false},
		{"127.0.0.1:50000", "127.0.0.1:7373", true},
		{"[::1]:50000", "localhost:7373", true},
	} {
		hr := httptest.NewRequest("GET", "/", nil)
		hr.Host, hr.RemoteAddr = tc.host, tc.remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, hr)
		if w.Code != 200 {
			t.Fatalf("%s: status %d", tc.remote, w.Code)
		}
		if got := strings.Contains(w.Body.String(), e.token); got != tc.token {
			t.Errorf("peer %s: page carries the token %v, want %v", tc.remote, got, tc.token)
		}
	}
}

// TestUnsafeRoutesBodyErrors: every state-changing route answers a bad
// JSON body with 400 and an oversize one with 413, whether or not the
// client announced its length, and openapi.json lists both answers.
func TestUnsafeRoutesBodyErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	s := e.server(Options{})
	doc := decode[struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}](t, do(t, s.Handler(), req{path: "/api/openapi.json"}))
	big := `{"x":"` + strings.Repeat("x", maxBodyBytes) + `"}`
	for _, rt := range s.routes {
		if rt.method == http.MethodGet {
			continue
		}
		for _, tc := range []struct {
			name    string
			body    string
			chunked bool
			code    int
		}{
			{"bad JSON", "{", false, 400},
			{"oversize", big, false, 413},
			{"oversize chunked", big, true, 413},
		} {
			t.Run(rt.method+" "+rt.path+" "+tc.name, func(t *testing.T) {
				hr := httptest.NewRequest(rt.method, rt.path, strings.NewReader(tc.body))
				hr.Host = testHost
				for k, v := range unsafeHeaders(e.token) {
					hr.Header.Set(k, v)
				}
				if tc.chunked {
					hr.ContentLength = -1
				}
				w := httptest.NewRecorder()
				s.Handler().ServeHTTP(w, hr)
				if w.Code != tc.code {
					t.Errorf("status %d, want %d: %s", w.Code, tc.code, w.Body)
				}
				if _, ok := doc.Paths[rt.path][strings.ToLower(rt.method)].Responses[strconv.Itoa(tc.code)]; !ok {
					t.Errorf("openapi.json does not list %d for %s %s", tc.code, rt.method, rt.path)
				}
			})
		}
	}
	if e.mon.Paused() {
		t.Error("a refused request paused the monitor")
	}
}
