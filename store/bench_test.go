package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// seedYears writes years of 15-minute buckets for nics NICs ending now, in
// batches like a long-running app would (one flush per simulated day), all
// on one network.
func seedYears(tb testing.TB, s *Store, years int, nics int, end time.Time) {
	tb.Helper()
	ctx := context.Background()
	endB := AlignBucket(end.Unix())
	start := endB - int64(years)*365*86400
	var deltas []Delta
	for b := start; b <= endB; b += BucketSeconds {
		for n := 0; n < nics; n++ {
			// Vary the numbers so that records have realistic widths.
			v := uint64((b/BucketSeconds)%977+1) * uint64(n+1) * 104_729
			deltas = append(deltas, Delta{NIC: fmt.Sprintf("eth%d", n), Network: WiFiNetwork("Home"), Start: b, Sent: v, Recv: v * 7})
		}
		if len(deltas) >= 96*nics || b+BucketSeconds > endB {
			if err := s.Flush(ctx, Batch{At: time.Unix(b, 0), Deltas: deltas}); err != nil {
				tb.Fatal(err)
			}
			deltas = deltas[:0]
		}
	}
}

var (
	tenYearsOnce sync.Once
	tenYearsDir  string
)

// tenYearDB builds (once per process) a 10-year, 3-NIC database.
func tenYearDB(b *testing.B) string {
	tenYearsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "packetbuddy-bench-")
		if err != nil {
			b.Fatal(err)
		}
		s, err := Open(context.Background(), dir, Options{Location: time.Local, Now: testenv.Clock()})
		if err != nil {
			b.Fatal(err)
		}
		seedYears(b, s, 10, 3, testenv.Now())
		s.Close()
		tenYearsDir = dir
	})
	return tenYearsDir
}

func benchQuery(b *testing.B, fn func(ctx context.Context, s *Store) error) {
	dir := tenYearDB(b)
	s, err := Open(context.Background(), dir, Options{Location: time.Local, Now: testenv.Clock()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if err := fn(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

// Query targets: each under 20 ms on a 10-year, 3-NIC database.
func BenchmarkQueryToday(b *testing.B) {
	benchQuery(b, func(ctx context.Context, s *Store) error {
		_, err := s.Day(ctx, DateOf(testenv.Now()), time.Local, Scope{})
		return err
	})
}

func BenchmarkQueryMonth(b *testing.B) {
	benchQuery(b, func(ctx context.Context, s *Store) error {
		now := testenv.Now()
		_, err := s.Month(ctx, now.Year(), now.Month(), time.Local, Scope{})
		return err
	})
}

func BenchmarkQueryLifetime(b *testing.B) {
	benchQuery(b, func(ctx context.Context, s *Store) error {
		if _, err := s.Lifetime(ctx, time.Local, Scope{}); err != nil {
			return err
		}
		_, err := s.TopDays(ctx, time.Local, Scope{}, 10)
		return err
	})
}

// BenchmarkQueryMonthOtherZone is the path for a tz= that differs from the
// machine's zone: the buckets answer instead of the per-day rollup.
func BenchmarkQueryMonthOtherZone(b *testing.B) {
	loc, _ := time.LoadLocation("Asia/Kathmandu")
	benchQuery(b, func(ctx context.Context, s *Store) error {
		now := testenv.Now()
		_, err := s.Month(ctx, now.Year(), now.Month(), loc, Scope{})
		return err
	})
}

// BenchmarkDBSizeYear reports the database bytes for one device-NIC-year of
// 15-minute buckets on one network, written as a running app writes them
// (target ≤ 2 MB).
func BenchmarkDBSizeYear(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		s, err := Open(context.Background(), dir, Options{Location: time.Local, Now: testenv.Clock()})
		if err != nil {
			b.Fatal(err)
		}
		seedYears(b, s, 1, 1, testenv.Now())
		s.Close() // checkpoints the WAL into the file
		fi, err := os.Stat(filepath.Join(dir, FileName))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(fi.Size()), "bytes/NIC-year")
	}
}

// BenchmarkFlushIdle is the steady-state flush of a running app: one
// bucket and the counters of two NICs, plus the meta rows.
func BenchmarkFlushIdle(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir(), Options{Location: time.Local, Now: testenv.Clock()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := testenv.Now()
	for b.Loop() {
		err := s.Flush(ctx, Batch{At: now, Boot: Boot{ID: "x", Time: 1},
			Deltas:   []Delta{{NIC: "eth0", Start: now.Unix(), Sent: 100, Recv: 200}, {NIC: "wlan0", Start: now.Unix(), Sent: 1, Recv: 2}},
			Counters: []Counter{{NIC: "eth0", Sent: 1, Recv: 2, Present: true}, {NIC: "wlan0", Sent: 1, Recv: 2, Present: true}}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExport10Years streams the whole 10-year, 3-NIC database and
// reports the rows and the heap in use afterwards: the export holds one row
// at a time, not the history.
func BenchmarkExport10Years(b *testing.B) {
	benchQuery(b, func(ctx context.Context, s *Store) error {
		var ms runtime.MemStats
		n, err := s.Export(ctx, io.Discard, ExportOptions{Format: FormatCSV, Progress: func(int64) {
			runtime.ReadMemStats(&ms)
		}})
		b.ReportMetric(float64(n), "rows")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		return err
	})
}
