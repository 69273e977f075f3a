package dashboard

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/store"
)

// benchDB is a synthetic 10-year, 3-NIC database (about 1.05 million
// 15-minute buckets), built once per test binary.
var benchDB struct {
	once sync.Once
	dir  string
	err  error
	dur  time.Duration
}

func buildBenchDB(b *testing.B) string {
	b.Helper()
	dir, err := buildBenchDBDir()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("10-year database built in %v (%s)", benchDB.dur.Round(time.Millisecond), filepath.Join(dir, store.FileName))
	return dir
}

func buildBenchDBDir() (string, error) {
	benchDB.once.Do(func() {
		start := time.Now()
		benchDB.dir, benchDB.err = os.MkdirTemp("", "packetbuddy-bench-")
		if benchDB.err != nil {
			return
		}
		ctx := context.Background()
		st, err := store.Open(ctx, benchDB.dir, store.Options{Location: time.UTC})
		if err != nil {
			benchDB.err = err
			return
		}
		defer st.Close()
		end := store.AlignBucket(time.Now().Unix())
		first := end - 10*365*24*3600
		nics := []string{"eth0", "wlan0", "enp3s0"}
		batch := store.Batch{At: time.Now()}
		for t := first; t <= end; t += store.BucketSeconds {
			for i, n := range nics {
				// Deterministic, uneven traffic: a daily cycle per NIC.
				v := uint64(1000 + (t/store.BucketSeconds)%96*(uint64ToInt64(i)+1)*5000)
				batch.Deltas = append(batch.Deltas, store.Delta{NIC: n, Start: t, Sent: v, Recv: 4 * v})
			}
			if len(batch.Deltas) >= 120_000 {
				if benchDB.err = st.Flush(ctx, batch); benchDB.err != nil {
					return
				}
				batch.Deltas = batch.Deltas[:0]
			}
		}
		if benchDB.err = st.Flush(ctx, batch); benchDB.err != nil {
			return
		}
		benchDB.dur = time.Since(start)
	})
	return benchDB.dir, benchDB.err
}

func uint64ToInt64(i int) int64 { return int64(i) }

// benchServer serves the bench database on loopback with a real monitor
// (started, not sampling, so that the measurement is the server's alone).
func benchServer(b *testing.B, opts Options) (string, *Server) {
	b.Helper()
	dir := buildBenchDB(b)
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	fc := &fakeCounters{}
	mon := monitor.New(st, monitor.Options{Read: fc.read, Boot: func(context.Context) (store.Boot, error) { return store.Boot{ID: "bench"}, nil }})
	if err := mon.Start(ctx); err != nil {
		b.Fatal(err)
	}
	opts.Token = "bench"
	opts.Logger = slog.New(slog.DiscardHandler)
	s := New(st, mon, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, ln) }()
	b.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String(), s
}

// benchGET measures parallel GETs of one path over loopback HTTP and
// reports requests per second and the 99th percentile latency.
func benchGET(b *testing.B, path string) {
	base, _ := benchServer(b, Options{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	defer client.CloseIdleConnections()
	// Warm up (connection pool, page cache, zone fingerprint).
	for i := 0; i < 20; i++ {
		resp, err := client.Get(base + path)
		if err != nil {
			b.Fatal(err)
		}
		discard(resp)
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			resp, err := client.Get(base + path)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("%s: %d", path, resp.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

func BenchmarkAPIToday(b *testing.B)   { benchGET(b, "/api/today") }
func BenchmarkAPISummary(b *testing.B) { benchGET(b, "/api/summary") }
func BenchmarkAPIMonth(b *testing.B)   { benchGET(b, "/api/month") }
func BenchmarkAPILive(b *testing.B)    { benchGET(b, "/api/live") }

// TestServeBenchDB serves the synthetic 10-year database for an external
// load generator (scripts/bench-dashboard.sh runs wrk against it). It only
// runs when PACKETBUDDY_BENCH_SERVE names a loopback address.
func TestServeBenchDB(t *testing.T) {
	addr := os.Getenv("PACKETBUDDY_BENCH_SERVE")
	if addr == "" {
		t.Skip("set PACKETBUDDY_BENCH_SERVE=127.0.0.1:PORT to serve the benchmark database")
	}
	dir, err := buildBenchDBDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fc := &fakeCounters{}
	mon := monitor.New(st, monitor.Options{Read: fc.read, Boot: func(context.Context) (store.Boot, error) { return store.Boot{ID: "bench"}, nil }})
	if err := mon.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := New(st, mon, Options{Addr: addr, Token: "bench", Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("serving %s", ln.Addr())
	os.Stdout.WriteString("READY " + ln.Addr().String() + "\n")
	// Runs until the script kills the test process.
	if err := s.Serve(ctx, ln); err != nil {
		t.Fatal(err)
	}
}
