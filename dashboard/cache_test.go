package dashboard

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

// TestCacheFollowsFlushes checks that cached database reads never hide or
// double-count traffic when the monitor flushes. It runs on synctest's
// clock.
func TestCacheFollowsFlushes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		h := e.server(Options{}).Handler()
		first := decode[Usage](t, do(t, h, req{path: "/api/today"}))
		if first.TotalBytes != 7_000_000 {
			t.Fatalf("today %d", first.TotalBytes)
		}
		e.counters.setTraffic(true)
		time.Sleep(time.Second)
		e.counters.setTraffic(false)
		time.Sleep(time.Second) // the readings after the traffic stopped
		synctest.Wait()
		before := decode[Usage](t, do(t, h, req{path: "/api/today"}))
		if before.UnflushedBytes == 0 {
			t.Fatal("no live traffic")
		}
		if err := e.mon.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * snapshotMaxAge) // the server's monitor snapshot expires
		after := decode[Usage](t, do(t, h, req{path: "/api/today"}))
		if after.UnflushedBytes != 0 {
			t.Errorf("unflushed %d after a flush with no traffic", after.UnflushedBytes)
		}
		if after.TotalBytes != before.TotalBytes {
			t.Errorf("total %d after flush, %d before: the cache hid or doubled traffic", after.TotalBytes, before.TotalBytes)
		}
		if after.TotalBytes <= 7_000_000 {
			t.Errorf("flushed traffic missing: %d", after.TotalBytes)
		}
	})
}

// TestInvalidate writes usage behind the monitor's back (as sync does):
// cached answers keep the old total until Invalidate.
func TestInvalidate(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	s := e.server(Options{})
	h := s.Handler()
	if got := decode[Usage](t, do(t, h, req{path: "/api/today"})).TotalBytes; got != 7_000_000 {
		t.Fatalf("today %d", got)
	}
	if err := e.st.Flush(context.Background(), storeBatch("eth0", testToday().Start(time.UTC), 1000, 0)); err != nil {
		t.Fatal(err)
	}
	if got := decode[Usage](t, do(t, h, req{path: "/api/today"})).TotalBytes; got != 7_000_000 {
		t.Errorf("before Invalidate: %d, want the cached 7000000", got)
	}
	s.Invalidate()
	if got := decode[Usage](t, do(t, h, req{path: "/api/today"})).TotalBytes; got != 7_001_000 {
		t.Errorf("after Invalidate: %d, want 7001000", got)
	}
}

// TestCacheKeyScopes: device and NIC names may hold the cache key's
// separator; two different scopes must never share a cached answer.
func TestCacheKeyScopes(t *testing.T) {
	t.Parallel()
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
