package monitor

import (
	"math"
	"time"
)

// Kind classifies a counter change.
type Kind int

// Kinds of counter change.
const (
	Normal  Kind = iota // the counter went up by the delta
	Wrapped             // a 32-bit counter wrapped; the delta is unwrapped
	Reset               // the counter restarted; the delta is its new value
	Anomaly             // the change implies more than the ceiling; dropped
)

func (k Kind) String() string {
	return [...]string{"normal", "wrapped", "reset", "anomaly"}[k]
}

// CounterDelta returns the traffic between two readings of one counter.
// ceiling is the most bytes the elapsed time allows. A decrease from a value
// in the upper half of the 32-bit range that unwraps to a plausible amount is
// a wrap; any other decrease is a reset and the new value is the traffic
// since the reset. A delta above the ceiling is reported as Anomaly with 0.
func CounterDelta(prev, cur, ceiling uint64) (uint64, Kind) {
	if cur >= prev {
		if d := cur - prev; d <= ceiling {
			return d, Normal
		}
		return 0, Anomaly
	}
	if prev <= math.MaxUint32 && prev >= 1<<31 {
		w := (1<<32 - prev) + cur
		if w < 1<<31 && w <= ceiling {
			return w, Wrapped
		}
	}
	if cur <= ceiling {
		return cur, Reset
	}
	return 0, Anomaly
}

// Ceiling is the most bytes maxRate (bytes/s) allows over elapsed, which is
// at least one millisecond so that a zero interval does not reject all.
func Ceiling(maxRate float64, elapsed time.Duration) uint64 {
	if elapsed < time.Millisecond {
		elapsed = time.Millisecond
	}
	v := maxRate * elapsed.Seconds()
	if v >= math.MaxUint64 {
		return math.MaxUint64
	}
	return uint64(v)
}
