package monitor

import "time"

// RatePoint is the speed over one sampling interval, in bytes per second.
type RatePoint struct {
	T    time.Time `json:"t"`
	Up   float64   `json:"up"`
	Down float64   `json:"down"`
}

// ring is a fixed-size circular buffer of rate points.
type ring struct {
	buf  []RatePoint
	next int
	full bool
}

func newRing(n int) *ring { return &ring{buf: make([]RatePoint, n)} }

func (r *ring) add(p RatePoint) {
	r.buf[r.next] = p
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

// points returns the points oldest first.
func (r *ring) points() []RatePoint {
	if !r.full {
		return append([]RatePoint(nil), r.buf[:r.next]...)
	}
	out := make([]RatePoint, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

func (r *ring) last() (RatePoint, bool) {
	if !r.full && r.next == 0 {
		return RatePoint{}, false
	}
	return r.buf[(r.next-1+len(r.buf))%len(r.buf)], true
}
