package monitor

import (
	"math"
	"testing"
	"time"
)

func TestCounterDelta(t *testing.T) {
	t.Parallel()
	const inf = math.MaxUint64
	tests := []struct {
		name               string
		prev, cur, ceiling uint64
		want               uint64
		wantKind           Kind
	}{
		{"no change", 500, 500, inf, 0, Normal},
		{"increase", 500, 1500, inf, 1000, Normal},
		{"increase at the ceiling", 0, 1000, 1000, 1000, Normal},
		{"increase above the ceiling", 0, 1001, 1000, 0, Anomaly},
		{"64-bit counter near its top", math.MaxUint64 - 10, math.MaxUint64, inf, 10, Normal},
		{"32-bit wrap", 1<<32 - 100, 50, inf, 150, Wrapped},
		{"32-bit wrap from the top value", math.MaxUint32, 0, inf, 1, Wrapped},
		{"decrease from exactly 2^31 is a reset", 1 << 31, 0, inf, 0, Reset},
		{"unwrapping to a whole window is a reset", 1<<32 - wrapWindow, 5, inf, 5, Reset},
		{"32-bit wrap just inside the window", 1<<32 - wrapWindow + 1, 0, inf, wrapWindow - 1, Wrapped},
		{"decrease from the middle is a reset", 1<<31 + 1, 0, inf, 0, Reset},
		{"32-bit wrap above the ceiling is a reset", 1<<32 - 100, 50, 100, 50, Reset},
		{"decrease in the lower half is a reset", 1 << 30, 70, inf, 70, Reset},
		{"decrease of a 64-bit counter is a reset", 1 << 40, 70, inf, 70, Reset},
		{"decrease just above 2^32 is a reset", 1<<32 + 5, 3, inf, 3, Reset},
		{"reset to zero", 1 << 40, 0, inf, 0, Reset},
		{"reset above the ceiling", 1 << 40, 5000, 4999, 0, Anomaly},
		{"zero ceiling allows only no change", 7, 8, 0, 0, Anomaly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kind := CounterDelta(tt.prev, tt.cur, tt.ceiling)
			if got != tt.want || kind != tt.wantKind {
				t.Errorf("CounterDelta(%d, %d, %d) = %d, %v; want %d, %v", tt.prev, tt.cur, tt.ceiling, got, kind, tt.want, tt.wantKind)
			}
		})
	}
}

func TestCeiling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rate    float64
		elapsed time.Duration
		want    uint64
	}{
		{"one second at 100 Gbit/s", 100e9 / 8, time.Second, 12_500_000_000},
		{"half a second", 1000, 500 * time.Millisecond, 500},
		{"zero interval counts as a millisecond", 1e6, 0, 1000},
		{"negative interval counts as a millisecond", 1e6, -time.Hour, 1000},
		{"huge product saturates", math.MaxFloat64, time.Hour, math.MaxUint64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ceiling(tt.rate, tt.elapsed); got != tt.want {
				t.Errorf("Ceiling(%v, %v) = %d, want %d", tt.rate, tt.elapsed, got, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[Kind]string{Normal: "normal", Wrapped: "wrapped", Reset: "reset", Anomaly: "anomaly"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// FuzzCounterDelta checks the classification's contract for any input.
func FuzzCounterDelta(f *testing.F) {
	f.Add(uint64(0), uint64(0), uint64(0))
	f.Add(uint64(1<<32-100), uint64(50), uint64(math.MaxUint64))
	f.Add(uint64(1<<31), uint64(0), uint64(1<<40))
	f.Add(uint64(1<<40), uint64(70), uint64(1000))
	f.Add(uint64(100), uint64(math.MaxUint64), uint64(12_500_000_000))
	f.Fuzz(func(t *testing.T, prev, cur, ceiling uint64) {
		d, kind := CounterDelta(prev, cur, ceiling)
		if d > ceiling {
			t.Fatalf("delta %d above the ceiling %d (%v)", d, ceiling, kind)
		}
		switch kind {
		case Normal:
			if cur < prev || d != cur-prev {
				t.Fatalf("normal delta %d for %d -> %d", d, prev, cur)
			}
		case Wrapped:
			if cur >= prev || prev > math.MaxUint32 || prev < 1<<31 {
				t.Fatalf("wrap claimed for %d -> %d", prev, cur)
			}
			if d != uint64(uint32(cur-prev)) || d >= 1<<31 {
				t.Fatalf("wrapped delta %d for %d -> %d, want %d", d, prev, cur, uint32(cur-prev))
			}
		case Reset:
			if cur >= prev || d != cur {
				t.Fatalf("reset delta %d for %d -> %d", d, prev, cur)
			}
		case Anomaly:
			if d != 0 {
				t.Fatalf("anomaly with delta %d", d)
			}
			if cur >= prev && cur-prev <= ceiling {
				t.Fatalf("plausible increase %d -> %d (ceiling %d) called an anomaly", prev, cur, ceiling)
			}
		default:
			t.Fatalf("unknown kind %d", kind)
		}
	})
}
