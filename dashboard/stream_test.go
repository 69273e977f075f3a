package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readEvents reads n "live" events from an /api/stream response.
func readEvents(t testing.TB, resp *http.Response, n int) []StreamEvent {
	t.Helper()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []StreamEvent
	event := ""
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "live":
			var ev StreamEvent
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
				t.Fatalf("event %q: %v", line, err)
			}
			out = append(out, ev)
		case line == "":
			event = ""
		}
	}
	if len(out) < n {
		t.Fatalf("stream ended after %d events: %v", len(out), sc.Err())
	}
	return out
}

func TestStream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.counters.setTraffic(true)
	s := e.server(Options{StreamInterval: 100 * time.Millisecond})
	base := serve(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const clients = 3
	var resps []*http.Response
	for i := 0; i < clients; i++ {
		r, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/stream", nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		checkSecurityHeaders(t, resp.Header)
		resps = append(resps, resp)
	}
	evs := readEvents(t, resps[0], 5)
	last := evs[len(evs)-1]
	if last.Today == nil || last.Today.TotalBytes < 7_000_000 {
		t.Fatalf("today in event: %+v", last.Today)
	}
	if last.Up <= 0 || len(last.NICs) != 1 {
		t.Errorf("rates in event: up %v nics %v", last.Up, last.NICs)
	}
	if len(last.Networks) != 1 || last.Networks[0].Label != officeLabel || last.Networks[0].NICs[0] != "eth0" {
		t.Errorf("networks in event: %+v", last.Networks)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].At.Before(evs[i-1].At) {
			t.Errorf("event times go backwards: %v then %v", evs[i-1].At, evs[i].At)
		}
	}
	for _, r := range resps[1:] {
		readEvents(t, r, 2)
	}
	if n := s.hub.subscribers(); n != clients {
		t.Errorf("%d subscribers, want %d", n, clients)
	}
	// Clients that go away are cleaned up, and the hub stops with the last.
	for _, r := range resps {
		r.Body.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.hub.subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers left after every client went away", s.hub.subscribers())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.hub.mu.Lock()
	running := s.hub.stop != nil
	s.hub.mu.Unlock()
	if running {
		t.Error("hub still running without subscribers")
	}
}

// TestStreamPause checks that a pause reaches the stream at once.
func TestStreamPause(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	s := e.server(Options{StreamInterval: time.Hour})
	base := serve(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/stream", nil)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ev := readEvents(t, resp, 1)[0]; ev.Paused {
		t.Fatal("paused before pausing")
	}
	pr, _ := http.NewRequest("POST", base+"/api/pause", strings.NewReader("{}"))
	pr.Header.Set("Content-Type", "application/json")
	pr.Header.Set(TokenHeader, e.token)
	presp, err := http.DefaultClient.Do(pr)
	if err != nil {
		t.Fatal(err)
	}
	discard(presp)
	if presp.StatusCode != 200 {
		t.Fatalf("pause: %d", presp.StatusCode)
	}
	if ev := readEvents(t, resp, 1)[0]; !ev.Paused {
		t.Error("stream did not report the pause")
	}
}

// TestServeStopsStreams checks that shutting the server down ends open
// event streams instead of waiting for the clients.
func TestServeStopsStreams(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	s := e.server(Options{StreamInterval: 50 * time.Millisecond})
	ln := mustListen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/api/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	readEvents(t, resp, 1)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return with a stream open")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

// TestStreamOutlivesReadTimeout keeps a stream open longer than the
// server's read timeout: a server-wide read or write timeout must never
// end long-lived event streams.
func TestStreamOutlivesReadTimeout(t *testing.T) {
	setTimeout(t, &readTimeout, 300*time.Millisecond)
	e := newTestEnv(t)
	s := e.server(Options{StreamInterval: 100 * time.Millisecond})
	base := serve(t, s)
	resp, err := http.Get(base + "/api/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	readEvents(t, resp, 12)
	if time.Since(start) < 2*readTimeout {
		t.Fatalf("events came too fast to test the timeout: %v", time.Since(start))
	}
}

// TestStreamLimit: past maxStreams open streams, a new one is refused with
// 503 and Retry-After instead of taking another connection and goroutine.
func TestStreamLimit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	s := e.server(Options{StreamInterval: time.Hour})
	base := serve(t, s)
	var cancels []func()
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for i := 0; i < maxStreams; i++ {
		_, c, ok := s.hub.subscribe()
		if !ok {
			t.Fatalf("subscription %d refused below the limit", i)
		}
		cancels = append(cancels, c)
	}
	resp, err := http.Get(base + "/api/stream")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("stream past the limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	cancels[0]()
	cancels = cancels[1:]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/stream", nil)
	resp, err = http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream after one left: %d", resp.StatusCode)
	}
}
