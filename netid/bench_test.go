package netid

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
)

// BenchmarkNetworks compares the monitor's per-sample call answered from
// the cache with a probe of the system, for every NIC of this machine:
// the cached path asks the system nothing (probes/op 0).
func BenchmarkNetworks(b *testing.B) {
	ifaces, err := net.Interfaces()
	if err != nil {
		b.Fatal(err)
	}
	var nics []string
	for _, ifi := range ifaces {
		nics = append(nics, ifi.Name)
	}
	s := newSources(slog.New(slog.DiscardHandler))
	b.Cleanup(s.os.close)
	var probes atomic.Int64
	counting := func(ctx context.Context, nic string) (string, error) {
		probes.Add(1)
		return s.probe(ctx, nic)
	}

	b.Run("cached", func(b *testing.B) {
		clock := newFakeClock() // stands still: the cache never expires
		d := NewDetector(Options{Now: clock.Now, Probe: counting})
		d.Networks(context.Background(), nics) // fill the cache
		probes.Store(0)
		b.ReportAllocs()
		for b.Loop() {
			d.Networks(context.Background(), nics)
		}
		b.ReportMetric(float64(probes.Load())/float64(b.N), "probes/op")
	})
	b.Run("probe", func(b *testing.B) {
		d := NewDetector(Options{Probe: counting})
		probes.Store(0)
		b.ReportAllocs()
		for b.Loop() {
			d.Invalidate()
			d.Networks(context.Background(), nics)
		}
		b.ReportMetric(float64(probes.Load())/float64(b.N), "probes/op")
	})
}
