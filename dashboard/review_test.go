package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

// TestAllowRemoteHostCheck: listening on the network must not switch the
// DNS-rebinding defence off. A page of evil.example, rebound to this
// machine, must neither read the usage nor get the token from the page;
// opening the dashboard by IP address or by the configured name works.
func TestAllowRemoteHostCheck(t *testing.T) {
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

// smallBufListener makes the kernel buffer little of what the server
// writes, so that a client that stops reading blocks the server quickly.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// TestExportStalledClients: clients that ask for an export and then stop
// reading must not keep the database's read connections for ever; once
// every connection of the read pool is stuck that way, every usage query
// of the dashboard would hang.
func TestExportStalledClients(t *testing.T) {
	old := exportWriteTimeout
	exportWriteTimeout = 300 * time.Millisecond
	defer func() { exportWriteTimeout = old }()
	e := newTestEnv(t)
	// About 1 MB of CSV, far more than the socket buffers hold.
	var b store.Batch
	b.At = testenv.Now()
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10000 {
		b.Deltas = append(b.Deltas, store.Delta{NIC: "eth0", Start: base.Add(time.Duration(i) * 15 * time.Minute).Unix(), Sent: 1000, Recv: 2000})
	}
	if err := e.st.Flush(e.ctx, b); err != nil {
		t.Fatal(err)
	}
	s := e.server(Options{})
	ln := mustListen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, smallBufListener{ln}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)

	// More stalled exports than the store has read connections.
	stalled := max(4, runtime.NumCPU()) + 1
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range stalled {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.(*net.TCPConn).SetReadBuffer(4096)
		fmt.Fprintf(c, "GET /api/export?format=csv HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n", port)
	}
	time.Sleep(200 * time.Millisecond) // let every export fill its socket

	// A usage query the cache has not seen needs a read connection.
	client := &http.Client{Timeout: 5 * time.Second}
	start := time.Now()
	resp, err := client.Get("http://" + addr + "/api/range?start=2020-01-01&end=2020-01-31")
	if err != nil {
		t.Fatalf("usage query while %d exports are stalled: %v", stalled, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("usage query: %d", resp.StatusCode)
	}
	t.Logf("usage query answered after %v with %d exports stalled", time.Since(start).Round(time.Millisecond), stalled)

	// The stalled clients got a truncated download, not the whole file.
	c := conns[0]
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	rows := 0
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if strings.Contains(sc.Text(), ",eth0,") {
			rows++
		}
	}
	if rows >= 10000 {
		t.Errorf("a stalled client still got all %d rows", rows)
	}
}

// TestTokenReadWhileBeingCreated: a process that finds the token file
// created but not yet written (another process won the creation race a
// moment ago) waits for the token instead of calling the file damaged.
func TestTokenReadWhileBeingCreated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, TokenFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("ab", tokenBytes)
	go func() { // owned by the test: ends after one write
		time.Sleep(100 * time.Millisecond)
		f.WriteString(want + "\n")
		f.Close()
	}()
	for _, load := range []func(string) (string, error){LoadOrCreateToken, ReadToken} {
		got, err := load(dir)
		if err != nil || got != want {
			t.Fatalf("got %q, %v; want the other process's token", got, err)
		}
	}
}

// TestTokenConcurrentCreate: processes starting together on a fresh data
// directory all end up with one token.
func TestTokenConcurrentCreate(t *testing.T) {
	for round := range 20 {
		dir := filepath.Join(t.TempDir(), "data")
		const n = 8
		toks := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { toks[i], errs[i] = LoadOrCreateToken(dir) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || toks[i] != toks[0] {
				t.Fatalf("round %d: caller %d got %q, %v; caller 0 got %q", round, i, toks[i], errs[i], toks[0])
			}
		}
	}
}

// TestMalformedQueryString: a query string Go cannot parse is a 400, not
// an answer for whatever scope is left after dropping the bad pair.
func TestMalformedQueryString(t *testing.T) {
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

// TestCacheKeyScopes: device and NIC names may hold the cache key's
// separator; two different scopes must never share a cached answer.
func TestCacheKeyScopes(t *testing.T) {
	e := newTestEnv(t)
	start := testToday().Start(time.UTC).Add(2 * time.Hour).Unix()
	pullDevice(t, e.st, store.Device{UUID: "3b0c6a52-6f7e-4c1b-9a53-7f1d2c9e0a11", Name: "lap|eth0", LastSeen: testenv.Now()},
		store.SyncBucket{NIC: "en0", Start: start, Sent: 100})
	pullDevice(t, e.st, store.Device{UUID: "5d1e7b63-7a8f-4d2c-8b64-8e2e3d0f1b22", Name: "lap", LastSeen: testenv.Now()},
		store.SyncBucket{NIC: "eth0|", Start: start, Sent: 900})
	h := e.server(Options{}).Handler()
	for _, tc := range []struct {
		query string
		sent  uint64
	}{
		{"device=lap%7Ceth0", 100},
		{"device=lap&nic=eth0%7C", 900},
	} {
		w := do(t, h, req{path: "/api/today?" + tc.query})
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", tc.query, w.Code, w.Body)
		}
		if got := decode[Usage](t, w).BytesSent; got != tc.sent {
			t.Errorf("%s: sent %d, want %d", tc.query, got, tc.sent)
		}
	}
}

// TestUnsafeRoutesBodyErrors: every state-changing route answers a bad
// JSON body with 400 and an oversize one with 413, whether or not the
// client announced its length, and openapi.json lists both answers.
func TestUnsafeRoutesBodyErrors(t *testing.T) {
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

// TestAllowRemotePageToken: with allow_remote, other machines may look at
// the dashboard, but the page they load must not hand them the token that
// every state change needs; a browser on this machine still gets it.
func TestAllowRemotePageToken(t *testing.T) {
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
