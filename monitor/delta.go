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

// String returns the kind's name for logs.
func (k Kind) String() string {
	return [...]string{"normal", "wrapped", "reset", "anomaly"}[k]
}

// wrapWindow is how close to 2^32 a 32-bit counter must have been, and how
// little it may have moved, for a decrease to be read as a wrap: 256 MiB,
// two seconds of a saturated gigabit link. A reset from just below 2^32
// reads exactly like a wrap; keeping the window small (1/16 of the range)
// bounds what that rare case can overcount.
const wrapWindow = 1 << 28

// CounterDelta returns the traffic between two readings of one counter.
// ceiling is the most bytes the elapsed time allows. A decrease from within
// wrapWindow of 2^32 that unwraps to less than wrapWindow is a 32-bit wrap;
// any other decrease is a reset and the new value is the traffic since the
// reset. A delta above the ceiling is reported as Anomaly with 0.
func CounterDelta(prev, cur, ceiling uint64) (uint64, Kind) {
	if cur >= prev {
		if d := cur - prev; d <= ceiling {
			return d, Normal
		}
		return 0, Anomaly
	}
	if prev <= math.MaxUint32 && prev >= 1<<32-wrapWindow {
		w := (1<<32 - prev) + cur
		if w < wrapWindow && w <= ceiling {
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
