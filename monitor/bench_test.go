package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// tenNICs is a reading of ten counted NICs.
func tenNICs() []Counter {
	live := make([]Counter, 10)
	for i := range live {
		live[i] = Counter{Name: fmt.Sprintf("eth%d", i), Sent: 1 << 33, Recv: 1 << 34}
	}
	return live
}

// traffic moves every counter of live forward.
func traffic(live []Counter) {
	for i := range live {
		live[i].Sent += 1500 * uint64(i+1)
		live[i].Recv += 9000 * uint64(i+1)
	}
}

// benchNetworks is an Options.Networks that costs what netid.Detector's
// cached answer does (a lookup per NIC into a new map): every NIC of
// tenNICs on one of two networks.
func benchNetworks() func(context.Context, []string) map[string]string {
	cache := map[string]string{}
	for i, c := range tenNICs() {
		cache[c.Name] = store.GatewayNetwork(net.HardwareAddr{2, 0, 0, 0, 0, byte(i % 2)})
	}
	return func(_ context.Context, nics []string) map[string]string {
		out := make(map[string]string, len(nics))
		for _, n := range nics {
			out[n] = cache[n]
		}
		return out
	}
}

func newBenchMonitor(b *testing.B, st Store, clock *fakeClock, read func(context.Context) ([]Counter, error)) *Monitor {
	b.Helper()
	m := New(st, Options{
		Read:     read,
		Boot:     func(context.Context) (store.Boot, error) { return store.Boot{ID: "bench"}, nil },
		Now:      clock.Now,
		Mono:     clock.Mono,
		Networks: benchNetworks(),
		// As the app's: the check for restarted counters runs too.
		NetworkChanged: func() {},
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err := m.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkFlush10NICs measures one flush of ten NICs' deltas and counters
// into a real SQLite store (one transaction).
func BenchmarkFlush10NICs(b *testing.B) {
	st, err := store.Open(b.Context(), b.TempDir(), store.Options{Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	live := tenNICs()
	clock := newFakeClock()
	m := newBenchMonitor(b, st, clock, func(context.Context) ([]Counter, error) { return live, nil })
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		traffic(live)
		clock.Advance(time.Second)
		m.account(live, m.networks(b.Context(), live), clock.Now(), clock.Mono())
		b.StartTimer()
		if err := m.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSample measures one sampling step with ten NICs on two
// networks: the accounting alone, and with gopsutil parsing a
// /proc/net/dev file.
func BenchmarkSample(b *testing.B) {
	b.Run("account", func(b *testing.B) {
		live := tenNICs()
		clock := newFakeClock()
		m := newBenchMonitor(b, &memStore{}, clock, func(context.Context) ([]Counter, error) { return live, nil })
		b.ReportAllocs()
		for b.Loop() {
			traffic(live)
			clock.Advance(time.Second)
			m.account(live, m.networks(b.Context(), live), clock.Now(), clock.Mono())
		}
	})
	b.Run("proc", func(b *testing.B) {
		proc := newFakeProc(b)
		for _, c := range tenNICs() {
			proc.set(c.Name, c.Sent, c.Recv)
		}
		ctx := proc.ctx(b.Context())
		clock := newFakeClock()
		m := newBenchMonitor(b, &memStore{}, clock, func(context.Context) ([]Counter, error) { return ReadCounters(ctx) })
		b.ReportAllocs()
		for b.Loop() {
			clock.Advance(time.Second)
			m.Sample(ctx)
		}
	})
}
