package dashboard

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

func TestExport(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	h := e.server(Options{}).Handler()
	today := testToday()
	from := today.AddDays(-5)
	path := "/api/export?start=" + from.String() + "&end=" + today.String()
	t.Run("csv", func(t *testing.T) {
		w := do(t, h, req{path: path + "&format=csv"})
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if cd, want := w.Header().Get("Content-Disposition"), `attachment; filename="packetbuddy-`+from.String()+`-to-`+today.String()+`.csv"`; cd != want {
			t.Errorf("Content-Disposition %q, want %q", cd, want)
		}
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != strings.Join(store.ExportColumns, ",") {
			t.Errorf("header %v, want %v", rows[0], store.ExportColumns)
		}
		// Five days of one eth0 row each, plus today's two rows.
		if len(rows)-1 != 7 {
			t.Errorf("%d rows, want 7: %v", len(rows)-1, rows)
		}
	})
	t.Run("json", func(t *testing.T) {
		w := do(t, h, req{path: path + "&format=json&nic=wlan0"})
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		var rows []map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0]["nic"] != "wlan0" || rows[0]["bytes_sent"] != float64(250_000) {
			t.Errorf("rows %v", rows)
		}
		for _, c := range store.ExportColumns {
			if _, ok := rows[0][c]; !ok {
				t.Errorf("column %s missing", c)
			}
		}
	})
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
	setTimeout(t, &exportWriteTimeout, 300*time.Millisecond)
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
