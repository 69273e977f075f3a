package cloudsync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// BenchmarkPushYearBacklog pushes one year of 15-minute buckets of one NIC
// on one network (35,040 rows, seven batches) to an empty server: the first
// sync of a device that counted offline for a year. Target: under 3 s.
func BenchmarkPushYearBacklog(b *testing.B) {
	const year = 35040
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		dbURL := newDatabase(b)
		st := newStore(b)
		fillLinks(b, st, []link{{"wlp2s0", "gateway:02:00:00:00:00:01"}}, baseTime, year, 96, 1_000_000)
		s := newSyncer(b, st, dbURL, nil)
		b.StartTimer()
		start := time.Now()
		if err := s.SyncNow(context.Background()); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		if got := s.Status().Pushed; got != year {
			b.Fatalf("pushed %d, want %d", got, year)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(year)*float64(b.N)/total.Seconds(), "rows/s")
}

// BenchmarkFleet200 simulates 200 devices, each with its own SQLite store
// holding a day of one NIC (96 buckets), syncing concurrently against one server
// twice: the first round pushes everything and pulls what is there, the
// second pulls everything the others pushed. At most 50 devices hold a
// connection at once (the test server allows 100; a fleet this size would
// sit behind a pooler such as Neon's or PgBouncer). It reports rows moved
// per second, the server's CPU time (from /proc of the postgres processes)
// and the slowest device's cycle.
func BenchmarkFleet200(b *testing.B) {
	const devices, day = 200, 96
	for b.Loop() {
		b.StopTimer()
		dbURL := newDatabase(b)
		stores := make([]*store.Store, devices)
		syncers := make([]*Syncer, devices)
		for i := range stores {
			stores[i] = newStore(b)
			fill(b, stores[i], []string{"eth0"}, baseTime, day, day, uint64(i+1))
			syncers[i] = newSyncer(b, stores[i], dbURL, func(o *Options) { o.Conn.StatementTimeout = time.Minute })
		}
		// Create the schema first, as the first device would have long ago.
		if err := migrateOnly(dbURL); err != nil {
			b.Fatal(err)
		}
		cpu0 := postgresCPU(b)
		b.StartTimer()
		start := time.Now()
		var rows, pushed int64
		var slowest time.Duration
		for round := range 2 {
			var mu sync.Mutex
			var wg sync.WaitGroup
			errs := make(chan error, devices)
			sem := make(chan struct{}, 50)
			for _, s := range syncers {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					t0 := time.Now()
					err := s.SyncNow(context.Background())
					d := time.Since(t0)
					st := s.Status()
					mu.Lock()
					rows += st.Pushed + st.Pulled
					pushed += st.Pushed
					slowest = max(slowest, d)
					mu.Unlock()
					if err != nil {
						errs <- fmt.Errorf("round %d: %w", round, err)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cpu := postgresCPU(b) - cpu0
		// Every device now has every other device's day.
		n, err := countBuckets(stores[0])
		if err != nil {
			b.Fatal(err)
		}
		if n != devices*day {
			b.Fatalf("device 0 has %d buckets, want %d", n, devices*day)
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(cpu.Seconds(), "server-cpu-s")
		b.ReportMetric(float64(slowest.Milliseconds()), "slowest-device-ms")
		b.ReportMetric(float64(pushed), "pushed-rows")
		b.ReportMetric(float64(rows-pushed), "pulled-rows")
		b.StartTimer()
	}
}

// countBuckets counts every device's buckets in a store.
func countBuckets(st *store.Store) (int, error) {
	var sb strings.Builder
	rows, err := st.Export(context.Background(), &sb, store.ExportOptions{Format: store.FormatCSV, Scope: store.Scope{Device: "all"}})
	return int(rows), err
}

// postgresCPU sums the user and system CPU time of every postgres process
// on this machine (the test server is local) from /proc/<pid>/stat,
// including reaped children (the postmaster's cutime/cstime), since each
// sync connection is a backend process that exits.
func postgresCPU(b *testing.B) time.Duration {
	b.Helper()
	const ticks = 100 // USER_HZ on Linux
	procs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(procs) == 0 {
		b.Skip("no /proc: cannot measure server CPU")
	}
	var total int64
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(data)
		open, closeIdx := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closeIdx < 0 || !strings.HasPrefix(s[open+1:closeIdx], "postgres") {
			continue
		}
		f := strings.Fields(s[closeIdx+2:])
		// Fields after the name: state is f[0]; utime, stime, cutime and
		// cstime are stat fields 14 to 17, i.e. f[11] to f[14].
		if len(f) < 15 {
			continue
		}
		for _, v := range f[11:15] {
			n, _ := strconv.ParseInt(v, 10, 64)
			total += n
		}
	}
	return time.Duration(total) * time.Second / ticks
}
